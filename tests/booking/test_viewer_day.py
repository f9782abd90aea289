"""``decide_day``: the grid's free cells decided for one person, on one snapshot, in groups.

Deciding alike cells once must give every cell the answer the rules give it alone: the
same rule and the same message as booking that one period (``POST /v1/reservations``
decides with the same ``evaluate``).
"""

import pytest
from sqlalchemy import select

from roomloop.booking import day_availability, decide_day
from roomloop.booking.operations import rule_context
from roomloop.booking.rules import BookingRequest, RuleViolation, evaluate
from roomloop.extensions import db
from roomloop.models import Facility, Setting

from conftest import school_day, store


def alone(facility, account, day, period):
    """What the rules answer ``account`` booking ``period`` for herself, decided on its own."""
    request = BookingRequest(facility, account, day, period, period, for_self=True)
    try:
        evaluate(rule_context(request))
    except RuleViolation as refusal:
        return refusal.rule, refusal.message
    return None


@pytest.mark.parametrize("quota", [20, 4])
def test_every_free_cell_gets_the_answer_it_gets_alone(
    create_account, create_facility, create_reservation, quota
):
    """Plain labs, rooms for Art only and for admins only, a one-period room; Ada holds two
    rooms (a run of two in one), Ben one. With a quota of 20 the answers are R-04, R-08,
    R-10 and passes; with 4 (she holds 4) R-04 where she holds the room beside, else R-06."""
    day = school_day()
    store(Setting(key="max_consecutive_slots", value=3))
    store(Setting(key="weekly_quota_slots", value=quota))
    labs = [create_facility(code=f"lab-{n}", name=f"Lab {n}") for n in range(4)]
    create_facility(code="art", name="Art Studio", allowed_departments=["Art"])
    create_facility(code="staff", name="Staff Room", allowed_roles=["admin"])
    one = create_facility(code="one", name="Seminar", max_slots_per_booking=1)
    ada = create_account(name="Ada Park", department="Science")
    ben = create_account(name="Ben Ito")
    create_reservation(labs[0], ada, day, start_slot=2, end_slot=4)
    create_reservation(one, ada, day, start_slot=6)
    create_reservation(labs[1], ben, day, start_slot=5)
    facilities = db.session.scalars(select(Facility).order_by(Facility.name)).all()
    states = day_availability(facilities, day)

    decided = decide_day(ada, facilities, day, states)

    answers = {}
    for facility in facilities:
        for state in states[facility.id]:
            if state.status == "free":
                n = state.slot.number
                refusal = decided.refusals.get((facility.id, n))
                answers[facility.name, n] = refusal and (refusal.rule, refusal.message)
                assert answers[facility.name, n] == alone(facility, ada, day, n), (facility.name, n)
    rules = {answer and answer[0] for answer in answers.values()}
    if quota == 20:
        assert rules == {None, "R-04", "R-08", "R-10"}
        assert (decided.quota, decided.used, decided.left) == (20, 4, 16)
        assert decided.held_rooms == {2: "Lab 0", 3: "Lab 0", 4: "Lab 0", 6: "Seminar"}
    else:
        assert rules == {"R-04", "R-06"}
        assert decided.left == 0
