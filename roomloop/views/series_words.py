"""How the pages put a series into words: its pattern, its periods, each date's outcome.

The words are the pages' own; what a series is and which dates it books is decided in
``booking.series``.
"""

from ..booking import WEEKDAYS
from ..booking.school_calendar import week_letter

WEEKDAY_NAMES = dict(
    zip(
        WEEKDAYS,
        ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        strict=True,
    )
)


def and_join(words):
    """["Monday", "Tuesday", "Friday"] as "Monday, Tuesday and Friday"."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def repeat_words(weekdays, every_weeks=1, cycle_week=None):
    """ "Every Tuesday", "Every 2 weeks on Tuesday and Thursday", "Every Monday of week B"."""
    days = and_join(WEEKDAY_NAMES[d] for d in WEEKDAYS if d in weekdays)
    if cycle_week:
        return f"Every {days} of week {week_letter(cycle_week)}"
    if every_weeks > 1:
        return f"Every {every_weeks} weeks on {days}"
    return f"Every {days}"


def periods_words(start_slot, end_slot):
    """ "period 2" or "periods 2–3"."""
    if start_slot == end_slot:
        return f"period {start_slot}"
    return f"periods {start_slot}–{end_slot}"


def short_date(day, today):
    """ "31 Aug", with the year when it is not this year's."""
    return f"{day:%-d %b}" if day.year == today.year else f"{day:%-d %b %Y}"


def pattern_words(series, today):
    """A series' pattern in one line: "Every Tuesday, periods 2–3, to 31 Aug". ``series`` is
    anything with the series' fields (the stored row, or a plan's values)."""
    repeat = repeat_words(series.weekdays, series.every_weeks, series.cycle_week)
    periods = periods_words(series.start_slot, series.end_slot)
    return f"{repeat}, {periods}, to {short_date(series.until, today)}"


def held_words(refusal):
    """Who holds the slots an R-03 refusal names: "booked by Ben Ito (period 3)"."""
    held = getattr(refusal, "held", None) or []
    by_holder = {}
    for slot, holder in held:
        by_holder.setdefault((holder.account_name, holder.status), []).append(slot)
    return [
        f"{'requested' if status == 'pending' else 'booked'} by {name} "
        f"({periods_words(min(slots), max(slots))})"
        for (name, status), slots in by_holder.items()
    ]


COUNT_WORDS = (
    ("confirmed", "booked"),
    ("pending", "pending approval"),
    ("cancelled", "cancelled"),
    ("skipped", "not booked"),
)


def counts_words(counts):
    """A series' counts as "12 booked · 1 cancelled · 1 not booked" (the zeros left out)."""
    return " · ".join(f"{counts[key]} {words}" for key, words in COUNT_WORDS if counts.get(key))
