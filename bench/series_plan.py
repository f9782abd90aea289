"""The series the booking benchmark asks for: weekly series of 15 dates, each from a school
day of the coming week, one period, in a random active facility, for a random teacher with
a key, with ``on_conflict: skip`` (a date another booking holds is skipped, the rest booked).

Fifteen weekly dates reach beyond the 60-day booking window: the benchmark gives the school
one term that holds them all (a series may book to the end of its first date's term).
"""

import random
from datetime import timedelta

from sqlalchemy import insert

from roomloop.models import Setting

from .load import Call

SERIES_WEEKS = 15
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


def give_the_school_a_long_term(engine, today):
    """One term from a month ago to well past the last series' last date."""
    term = {
        "name": "Benchmark term",
        "start": (today - timedelta(days=30)).isoformat(),
        "end": (today + timedelta(weeks=SERIES_WEEKS + 3)).isoformat(),
    }
    with engine.begin() as conn:
        conn.execute(insert(Setting.__table__), {"key": "terms", "value": [term]})


def series_calls(school, keys, count, seed=11):
    """``count`` series requests; each is answered 201 (or 422 if every date is taken)."""
    rng = random.Random(seed)
    teachers = sorted(keys)
    first_days = school.days[:5]
    calls = []
    for n in range(count):
        first = rng.choice(first_days)
        slot = rng.randint(1, 8)
        body = {
            "facility_id": school.codes[rng.choice(school.active)],
            "first_date": first.isoformat(),
            "until": (first + timedelta(weeks=SERIES_WEEKS - 1)).isoformat(),
            "repeat": {"weekdays": [WEEKDAYS[first.weekday()]]},
            "start_slot": slot,
            "end_slot": slot,
            "purpose": f"Series bench {n}",
            "on_conflict": "skip",
        }
        key = keys[rng.choice(teachers)]
        headers = {"Authorization": f"Bearer {key}"}
        calls.append(Call("POST", "/v1/series", body, headers, expect=201, accept=(422,)))
    return calls
