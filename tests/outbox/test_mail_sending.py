"""Email through a real SMTP server (aiosmtpd on 127.0.0.1): what arrives, for whom, once.

The sender runs synchronously (``send_due_mail``, or the ``deliver-webhooks`` command), as
each round of the background sender runs it.
"""

import logging
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from roomloop.auth.permissions import Actor
from roomloop.booking import create_blackout, release_no_shows
from roomloop.extensions import db
from roomloop.models import EmailMessage
from roomloop.outbox import send_due_mail

from conftest import make_app
from mail_support import (
    THU,
    TUESDAYS,
    WED,
    ZONE,
    book,
    book_series,
    cancel,
    change,
    choose,
    school,
)
from smtp_server import SmtpServer

__all__ = ["school"]  # a fixture of mail_support.py

ADA, VAL = "ada@school.example", "val@school.example"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def smtp(request):
    """A real SMTP server, up for the test; ``param``: the login it requires."""
    server = SmtpServer(login=getattr(request, "param", None)).start()
    yield server
    server.stop()


@pytest.fixture
def app_config(smtp):
    return ZONE | smtp.config | {"MAIL_RETRY_DELAYS": [0, 0]}


def send_all():
    """Run the sender until nothing is due; return how many messages it attempted."""
    attempted = 0
    while sent := send_due_mail():
        attempted += sent
    return attempted


def statuses():
    db.session.rollback()
    rows = db.session.execute(
        select(EmailMessage.kind, EmailMessage.status, EmailMessage.attempts).order_by(
            EmailMessage.id
        )
    )
    return [tuple(row) for row in rows]


def invite(arrival):
    """The attached iCalendar, parsed, and its one event."""
    [part] = [p for p in arrival.message.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_filename() == "booking.ics"
    assert part.get_param("method") == "PUBLISH"
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    return calendar, calendar.walk("VEVENT")


# --- What arrives -----------------------------------------------------------------------


def test_a_confirmation_arrives_once_with_its_invite_in_school_time(client, school, smtp):
    """Headers, both bodies with the periods by number and time, and an invite that a
    calendar reads at 10:00-11:50 London time; a second round sends nothing more."""
    booked = book(client, school.keys["ada"], school.lab, WED, 2, 3)

    assert send_all() == 1
    assert send_due_mail() == 0
    [arrival] = smtp.arrivals
    message = arrival.message
    assert arrival.rcpt_tos == [ADA]
    assert str(message["To"]) == "Ada Park <ada@school.example>"
    assert str(message["From"]) == "RoomLoop <roomloop@localhost>"
    assert str(message["Subject"]) == "Booked: STEM Lab Alpha, Wed 3 Jun, periods 2–3 (10:00–11:50)"
    assert message["Date"].datetime == datetime(2026, 6, 1, 9, 0, tzinfo=LONDON)
    assert message["Message-ID"].startswith("<eml_")
    assert message["Auto-Submitted"] == "auto-generated"
    unsubscribe = str(message["List-Unsubscribe"])
    assert unsubscribe.startswith("<http://127.0.0.1:5000/unsubscribe?t=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [alternative] = [p for p in message.walk() if p.get_content_type() == "multipart/alternative"]
    assert [p.get_content_type() for p in alternative.iter_parts()] == ["text/plain", "text/html"]
    for body in (arrival.text, arrival.html):
        assert "STEM Lab Alpha" in body
        assert "Wed 3 Jun 2026" in body
        assert "periods 2–3 (10:00–11:50)" in body
        assert "Europe/London" in body
        assert "http://127.0.0.1:5000/account/notifications" in body
        assert f"http://127.0.0.1:5000/reservations/{booked['id']}" in body  # its own page
        assert unsubscribe[1:-1].replace("&", "&amp;") in body
    calendar, [event] = invite(arrival)
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert event["UID"] == f"{booked['id']}@roomloop"
    assert event.decoded("DTSTART") == datetime(2026, 6, 3, 10, 0, tzinfo=LONDON)
    assert event.decoded("DTEND") == datetime(2026, 6, 3, 11, 50, tzinfo=LONDON)
    assert str(event["SUMMARY"]) == "STEM Lab Alpha: Year 10 titration"
    assert str(event["LOCATION"]) == "STEM Lab Alpha, Curie Building"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["URL"]) == f"http://127.0.0.1:5000/reservations/{booked['id']}"
    assert statuses() == [("confirmed", "sent", 1)]


def test_a_request_tells_the_approvers_and_its_rejection_says_who_and_why(client, school, smtp):
    booked = book(client, school.keys["ada"], school.hall, WED, 5)
    cancel(client, school.keys["val"], booked, "The hall is set up for exams.")

    send_all()

    when = "Wed 3 Jun, period 5 (13:00–13:50)"
    subjects = {(a.to, str(a.message["Subject"])) for a in smtp.arrivals}
    assert subjects == {
        (ADA, f"Waiting for approval: Main Hall, {when}"),
        (VAL, f"To approve: Ada Park, Main Hall, {when}"),
        ("ann@school.example", f"To approve: Ada Park, Main Hall, {when}"),
        (ADA, f"Not approved: Main Hall, {when}"),
    }
    [rejected] = [a for a in smtp.to(ADA) if "Not approved" in a.message["Subject"]]
    for body in (rejected.text, rejected.html):
        assert "Val Ortiz" in body and VAL in body
        assert "The hall is set up for exams." in body
    [request] = smtp.to(VAL)
    assert "http://127.0.0.1:5000/admin/approvals" in request.text
    assert "Ada Park" in request.html and "period 5 (13:00–13:50)" in request.html


def test_an_approval_says_who_approved_and_carries_the_invite(client, school, smtp):
    booked = book(client, school.keys["ada"], school.hall, THU, 3)
    change(client, school.keys["val"], f"/v1/reservations/{booked['id']}", status="confirmed")
    send_all()

    [approved] = [a for a in smtp.to(ADA) if a.message["Subject"].startswith("Approved")]
    assert "Val Ortiz approved your request" in approved.text
    _, [event] = invite(approved)
    assert event.decoded("DTSTART") == datetime(2026, 6, 4, 11, 0, tzinfo=LONDON)
    assert str(event["STATUS"]) == "CONFIRMED"


def test_a_cancellation_by_someone_else_says_who_and_why(client, school, smtp):
    booked = book(client, school.keys["ada"], school.lab, WED)
    cancel(client, school.keys["ann"], booked, "Gas leak <in> the lab & corridor")
    send_all()

    [cancelled] = [a for a in smtp.to(ADA) if "Cancelled" in a.message["Subject"]]
    assert str(cancelled.message["Subject"]) == (
        "Cancelled by Ann Lee: STEM Lab Alpha, Wed 3 Jun, period 2 (10:00–10:50)"
    )
    assert 'Their reason: "Gas leak <in> the lab & corridor"' in cancelled.text
    assert "Gas leak &lt;in&gt; the lab &amp; corridor" in cancelled.html  # escaped
    assert "Ann Lee (ann@school.example)" in cancelled.text


def test_a_series_email_lists_the_dates_booked_and_skipped(client, school, smtp):
    book(client, school.keys["ann"], school.lab, TUESDAYS[2], 3)
    book_series(client, school.keys["ada"], school.lab, on_conflict="skip")
    send_all()

    [series] = [a for a in smtp.to(ADA) if "Repeating" in a.message["Subject"]]
    assert str(series.message["Subject"]) == (
        "Repeating booking: STEM Lab Alpha, 3 dates booked, 1 skipped"
    )
    text = series.text
    assert "periods 2–3 (10:00–11:50)" in text
    booked, skipped = text.split("Not booked")
    for day in ("Tue 2 Jun 2026", "Tue 9 Jun 2026", "Tue 23 Jun 2026"):
        assert day in booked
    assert "Tue 16 Jun 2026: STEM Lab Alpha is already booked by Ann Lee" in skipped
    assert len(smtp.to(ADA)) == 1  # no email per date


def test_a_blackout_email_lists_the_bookings_it_covers_and_what_to_do(client, school, smtp):
    book(client, school.keys["ada"], school.lab, WED, 4)
    create_blackout(Actor.for_account(db.session.merge(school.ann)), WED, None, "Exams", school.lab)
    send_all()

    [closed] = [a for a in smtp.to(ADA) if "closed" in a.message["Subject"]]
    assert str(closed.message["Subject"]) == (
        "STEM Lab Alpha closed on Wed 3 Jun 2026: a booking of yours"
    )
    for body in (closed.text, closed.html):
        assert "period 4 (12:00–12:50)" in body
        assert "Exams" in body
        assert "book another room or day" in body
        assert "an administrator may cancel it" in body


# --- Retries, refusals and choices ----------------------------------------------------------


def test_a_server_that_is_down_loses_nothing_and_sends_nothing_twice(client, school, smtp):
    """While the server is down each message waits with the reason; once it is up, every
    one arrives, once."""
    smtp.stop()
    book(client, school.keys["ada"], school.lab, WED)
    book(client, school.keys["ada"], school.hall, THU)

    assert send_due_mail() == 4  # confirmed, pending, and two requests to decide
    assert smtp.arrivals == []
    db.session.rollback()
    waiting = db.session.scalars(select(EmailMessage)).all()
    assert {(m.status, m.attempts) for m in waiting} == {("pending", 1)}
    assert {m.last_error.split(":")[0] for m in waiting} == {"Could not connect to the mail server"}

    smtp.start()
    assert send_all() == 4
    assert send_all() == 0
    assert sorted((a.to, a.message["Subject"].split(":")[0]) for a in smtp.arrivals) == [
        ("ada@school.example", "Booked"),
        ("ada@school.example", "Waiting for approval"),
        ("ann@school.example", "To approve"),
        ("val@school.example", "To approve"),
    ]
    assert {status for _, status, _ in statuses()} == {"sent"}


def test_a_message_fails_once_its_retries_are_spent(client, school, smtp):
    smtp.stop()
    book(client, school.keys["ada"], school.lab, WED)

    assert send_all() == 3  # the first attempt and the two retries of MAIL_RETRY_DELAYS

    assert statuses() == [("confirmed", "failed", 3)]


def test_a_recipient_the_server_refuses_fails_at_once(client, school, smtp):
    smtp.handler.refuse.add(ADA)
    book(client, school.keys["ada"], school.lab, WED)

    assert send_all() == 1

    assert statuses() == [("confirmed", "failed", 1)]
    assert "550" in db.session.scalar(select(EmailMessage.last_error))


def test_a_kind_turned_off_before_sending_is_not_sent(client, school, smtp):
    book(client, school.keys["ada"], school.lab, WED)
    choose(school.ada, confirmed=False)

    send_all()

    assert smtp.arrivals == []
    assert statuses() == [("confirmed", "failed", 0)]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("smtp", [("roomloop", "s3cret-pass")], indirect=True)
def test_it_signs_in_to_a_server_that_asks_and_never_logs_the_password(
    client, school, smtp, caplog
):
    book(client, school.keys["ada"], school.lab, WED)

    with caplog.at_level(logging.DEBUG):
        assert send_all() == 1

    assert [a.to for a in smtp.arrivals] == [ADA]
    assert "s3cret-pass" not in caplog.text


def test_the_deliver_webhooks_command_sends_email_too(app, client, school, smtp):
    book(client, school.keys["ada"], school.lab, WED)

    result = app.test_cli_runner().invoke(args=["deliver-webhooks", "--once"])

    assert result.exit_code == 0, result.output
    assert "Attempted 1 emails." in result.output
    assert [a.to for a in smtp.arrivals] == [ADA]


def test_a_commit_wakes_the_in_process_sender(database_url, school, smtp):
    """With the sender thread of a web process, a booking's email leaves at once, not at the
    next poll."""
    web = make_app(
        database_url, WEBHOOK_SENDER="thread", WEBHOOK_POLL_SECONDS=60, **ZONE, **smtp.config
    )
    client = web.test_client()
    sender = web.extensions["roomloop.webhook_sender"]
    try:
        client.get("/healthz")  # starts the thread, which finds nothing and sleeps
        time.sleep(0.3)
        with web.app_context():
            started = time.monotonic()
            book(client, school.keys["ada"], school.lab, WED)
            smtp.wait_for(1)
        assert time.monotonic() - started < 10
        assert [a.to for a in smtp.arrivals] == [ADA]
    finally:
        sender.stop.set()
        sender.wake.set()
        if sender.thread is not None:
            sender.thread.join(timeout=30)
        with web.app_context():
            db.engine.dispose()


def test_a_booking_nobody_checked_in_is_released_and_its_holder_told_why(
    client, school, smtp, create_facility
):
    studio = create_facility(code="studio", name="Dance Studio", check_in_required=True)
    book(client, school.keys["ada"], studio, date(2026, 6, 1), 2)  # today, 10:00 in London

    assert release_no_shows(datetime(2026, 6, 1, 10, 16, tzinfo=LONDON)) == 1
    send_all()

    [released] = [a for a in smtp.to(ADA) if "Released" in a.message["Subject"]]
    assert str(released.message["Subject"]) == (
        "Released, nobody checked in: Dance Studio, Mon 1 Jun, period 2 (10:00–10:50)"
    )
    assert "RoomLoop cancelled your booking" in released.text
    assert "Nobody checked in by the release time" in released.text
    assert "no_show" not in released.text
