"""Which emails each change queues, for whom: written with its event, in its transaction.

Bookings and decisions go through the API; what the outbox holds is read back from
``email_messages``. Sending is ``test_mail_sending.py``'s.
"""

from sqlalchemy import event, func, select

from roomloop.auth.permissions import Actor
from roomloop.booking import create_blackout, get_schedule
from roomloop.extensions import db
from roomloop.models import EmailMessage, Reservation
from roomloop.outbox import record_event, send_due_mail
from roomloop.resources import reservation_resource

from mail_support import (
    THU,
    TUESDAYS,
    WED,
    app_config,
    book,
    book_series,
    cancel,
    change,
    choose,
    queued,
    recipients,
    school,
)

__all__ = ["app_config", "school"]  # fixtures of mail_support.py

ADA, VAL, ANN = "ada@school.example", "val@school.example", "ann@school.example"


def test_a_confirmed_booking_tells_its_holder_once(client, school):
    """One ``confirmed`` email, to the holder, carrying the reservation as its event does."""
    booked = book(client, school.keys["ada"], school.lab, WED)

    [(to, kind, data)] = queued()
    assert (to, kind) == (ADA, "confirmed")
    assert data == {"reservations": [booked]}


def test_a_request_tells_its_holder_and_every_approver_who_wants_each(
    client, school, create_account
):
    """``pending`` to the holder, ``new_request`` to each active approver and admin, except
    one who turned it off, one who chose a digest and one who is disabled."""
    choose(create_account(role="approver", email="quiet@school.example"), new_request=False)
    choose(create_account(role="approver", email="daily@school.example"), digest_hour=7)
    create_account(role="approver", email="gone@school.example", status="disabled")
    create_account(email="other.teacher@school.example")

    booked = book(client, school.keys["ada"], school.hall, WED)

    assert sorted(recipients()) == [
        (ADA, "pending"),
        (ANN, "new_request"),
        (VAL, "new_request"),
    ]
    assert all(data == {"reservations": [booked]} for _, _, data in queued())


def test_an_approvers_own_request_is_not_sent_to_them(client, school):
    book(client, school.keys["val"], school.hall, WED)

    assert sorted(recipients()) == [(ANN, "new_request"), (VAL, "pending")]


def test_approving_tells_the_holder_who_approved(client, school):
    booked = book(client, school.keys["ada"], school.hall, WED)
    change(client, school.keys["val"], f"/v1/reservations/{booked['id']}", status="confirmed")

    [(to, data)] = [(to, d) for to, _, d in queued("approved")]
    assert to == ADA
    assert data["by"] == {"id": school.val.public_id, "name": "Val Ortiz", "email": VAL}
    assert [r["status"] for r in data["reservations"]] == ["confirmed"]


def test_confirming_ones_own_request_sends_no_approval(client, school):
    booked = book(client, school.keys["ann"], school.hall, WED)
    change(client, school.keys["ann"], f"/v1/reservations/{booked['id']}", status="confirmed")

    assert queued("approved") == []


def test_rejecting_a_request_says_who_and_why(client, school):
    booked = book(client, school.keys["ada"], school.hall, WED)
    cancel(client, school.keys["val"], booked, "The hall is set up for exams.")

    [(to, data)] = [(to, d) for to, _, d in queued("rejected")]
    assert to == ADA
    assert data["by"]["name"] == "Val Ortiz"
    assert data["reason"] == "The hall is set up for exams."
    assert queued("cancelled") == []


def test_cancelling_someone_elses_booking_says_who_and_why(client, school):
    """An admin's cancellation of a confirmed booking is ``cancelled``, with who and why;
    the holder's own cancellation sends nothing."""
    first = book(client, school.keys["ada"], school.lab, WED)
    second = book(client, school.keys["ada"], school.lab, THU)
    cancel(client, school.keys["ada"], second)
    cancel(client, school.keys["ann"], first, "Gas leak in the lab")

    [(to, data)] = [(to, d) for to, _, d in queued("cancelled")]
    assert to == ADA
    assert (data["by"]["name"], data["reason"]) == ("Ann Lee", "Gas leak in the lab")
    assert [r["id"] for r in data["reservations"]] == [first["id"]]


def test_a_series_is_one_email_with_the_dates_booked_and_skipped(client, school):
    """No email per date: one ``series_booked`` with each date booked and each skipped."""
    book(client, school.keys["ann"], school.lab, TUESDAYS[2], 3)
    series = book_series(client, school.keys["ada"], school.lab, on_conflict="skip")

    mine = [(kind, d) for to, kind, d in queued() if to == ADA]
    [(kind, data)] = mine
    assert kind == "series_booked"
    assert data["series"]["id"] == series["id"]
    assert data["dates"] == [
        {"date": d, "status": "confirmed"} for d in ("2026-06-02", "2026-06-09", "2026-06-23")
    ]
    [skipped] = data["series"]["skipped"]
    assert skipped["date"] == "2026-06-16" and skipped["error"]["rule"] == "R-03"


def test_a_series_written_in_several_batches_still_lists_every_date(client, school, monkeypatch):
    """A timetable's events go out a thousand at a time, so one batch may hold only some of a
    series' dates: its email lists them all, in order, all the same."""
    monkeypatch.setattr("roomloop.booking.series_booking.EVENT_BATCH", 3)
    book(client, school.keys["ann"], school.lab, TUESDAYS[2], 3)
    book_series(client, school.keys["ada"], school.lab, on_conflict="skip")

    [(_, _, data)] = queued("series_booked")
    assert data["dates"] == [
        {"date": d, "status": "confirmed"} for d in ("2026-06-02", "2026-06-09", "2026-06-23")
    ]


def test_a_series_waiting_for_approval_is_one_request_for_each_approver(client, school):
    book_series(client, school.keys["ada"], school.hall)

    assert sorted(recipients()) == [
        (ADA, "series_booked"),
        (ANN, "new_request"),
        (VAL, "new_request"),
    ]
    [(_, _, request)] = queued("new_request")[:1]
    assert [d["status"] for d in request["dates"]] == ["pending"] * 4


def test_deciding_a_series_tells_its_holder_once(client, school):
    """Confirm all, then an admin's cancel of the dates to come: one email each, every date
    in it."""
    series = book_series(client, school.keys["ada"], school.hall)
    change(client, school.keys["val"], f"/v1/series/{series['id']}", status="confirmed")
    change(
        client,
        school.keys["ann"],
        f"/v1/series/{series['id']}",
        status="cancelled",
        cancel_reason="The hall is closed for works",
    )

    [(_, _, approved)] = queued("approved")
    assert len(approved["reservations"]) == 4
    [(_, _, cancelled)] = queued("cancelled")
    assert len(cancelled["reservations"]) == 4
    assert cancelled["reason"] == "The hall is closed for works"


def test_a_turned_off_kind_writes_nothing(client, school):
    choose(school.ada, confirmed=False)

    book(client, school.keys["ada"], school.lab, WED)

    assert queued() == []


def test_a_blackout_tells_each_holder_which_of_theirs_it_covers(
    client, school, create_account, auth_headers
):
    """One email per person, listing their covered bookings (pending and confirmed); the
    admin who added it is not told of their own; a day with no booking tells nobody."""
    ben = auth_headers(create_account(name="Ben Ito", email="ben@school.example"))
    ada_wed = book(client, school.keys["ada"], school.lab, WED)
    ada_hall = book(client, school.keys["ada"], school.hall, WED, 5)
    ben_wed = book(client, ben, school.lab, WED, 4)
    book(client, school.keys["ann"], school.lab, WED, 6)
    book(client, school.keys["ada"], school.lab, THU)
    before = len(queued())

    create_blackout(Actor.for_account(db.session.merge(school.ann)), WED, None, "Exams")

    told = {to: d for to, kind, d in queued("blackout_added")}
    assert set(told) == {ADA, "ben@school.example"}
    assert [r["id"] for r in told[ADA]["reservations"]] == [ada_wed["id"], ada_hall["id"]]
    assert [r["id"] for r in told["ben@school.example"]["reservations"]] == [ben_wed["id"]]
    assert told[ADA]["blackout"] == {
        "facility": None,
        "start_date": "2026-06-03",
        "end_date": "2026-06-03",
        "reason": "Exams",
    }
    assert len(queued()) == before + 2


def test_a_change_that_rolls_back_leaves_no_email(app, client, school):
    """The message is written in the change's transaction: rolled back together, nothing is
    left to send."""
    booked = book(client, school.keys["ada"], school.lab, WED)
    db.session.rollback()
    with db.session.begin():
        db.session.execute(EmailMessage.__table__.delete())
    query = select(Reservation).where(Reservation.public_id == booked["id"])
    reservation = db.session.scalar(query)
    data = reservation_resource(reservation, get_schedule()) | {"status": "confirmed"}

    record_event("reservation.created", data)
    assert db.session.scalar(select(func.count()).select_from(EmailMessage)) == 1
    db.session.rollback()

    assert queued() == []
    assert send_due_mail() == 0


def test_a_confirmed_booking_costs_one_insert_and_no_read(app, client, school):
    """The booking path writes its email with one INSERT, and reads nothing more for it:
    the holder's choices come from the account the request already loaded."""
    statements = []

    def record(_conn, _cursor, statement, *_):
        statements.append(" ".join(statement.split()))

    book(client, school.keys["ada"], school.lab, TUESDAYS[0])  # the key's use is recorded
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        book(client, school.keys["ada"], school.lab, WED)
        with_email = list(statements)
        choose(school.ada, confirmed=False)
        statements.clear()
        book(client, school.keys["ada"], school.lab, THU)
        without = list(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    assert len(with_email) == len(without) + 1
    [insert] = [s for s in with_email if "email_messages" in s]
    assert insert.startswith("INSERT INTO email_messages")
    assert not [s for s in without if "email_messages" in s]
