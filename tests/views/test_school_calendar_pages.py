"""The school calendar on the pages, through the test client: the week of the timetable
cycle named on the grid, a facility's week and the booking form.

The clock stands on Monday 1 June 2026, 07:00 UTC.
"""

import pytest
from test_admin_pages import signed_in_as, site, text

from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.sqlite import writing

__all__ = ["site"]  # the fixture, shared with test_admin_pages


@pytest.fixture
def school(freeze, create_account, create_facility, auth_headers):
    freeze(2026, 6, 1, 7, 0)
    teacher = create_account(name="Ada Park")
    return {
        "lab": create_facility(code="f1", name="STEM Lab Alpha"),
        "teacher": teacher,
        "teacher_key": auth_headers(teacher),
        "admin": create_account(role="admin", name="Cy Diaz"),
    }


def test_a_two_week_cycle_is_named_on_the_grid_the_week_and_the_form(site, school):
    with writing():
        set_setting("cycle", {"weeks": 2, "start": "2026-06-01"})
        db.session.commit()
    client = signed_in_as(site, school["teacher"])

    grid = text(client.get("/?date=2026-06-09"))
    assert '<span class="week-label">· Week B</span>' in grid
    week = text(client.get("/facilities/f1?week=2026-06-15"))
    assert week.count('<span class="slot-time">Week A</span>') == 5
    form = text(client.get("/book?facility_id=f1&date=2026-06-09&start_slot=2&end_slot=2"))
    assert "Tuesday 9 June 2026\n    · Week B" in form


def test_without_a_cycle_no_week_is_named(site, school):
    client = signed_in_as(site, school["teacher"])
    assert "week-label" not in text(client.get("/?date=2026-06-09"))
    assert "Week A" not in text(client.get("/facilities/f1?week=2026-06-15"))
