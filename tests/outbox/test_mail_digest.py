"""The approvers' daily digest: one email a day at the hour they chose (school time),
listing what waits for approval, written by the sender's round exactly once however many
senders run. The clock is the test's: ``write_digests`` takes the moment, the sender's
round reads the frozen clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from roomloop.booking import write_digests
from roomloop.extensions import db
from roomloop.models import Account
from roomloop.people import update_notifications

from conftest import make_app, race
from mail_support import (
    WED,
    ZONE,
    book,
    book_series,
    change,
    choose,
    queued,
    recipients,
    school,
)
from smtp_server import SmtpServer

__all__ = ["school"]  # a fixture of mail_support.py

VAL = "val@school.example"


def london(day, hour, minute=0):
    """A moment of June 2026 in the school's time zone."""
    return datetime(2026, 6, day, hour, minute, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def app_config(smtp):
    return ZONE | smtp.config


@pytest.fixture
def waiting(client, school):
    """Val chose a digest at 10:00; Ada asks for the hall once, and every Tuesday."""
    choose(school.val, digest_hour=10)
    single = book(client, school.keys["ada"], school.hall, WED, 5)
    series = book_series(client, school.keys["ada"], school.hall)
    return {"single": single, "series": series}


def test_a_digest_approver_gets_no_email_per_request(school, waiting):
    assert [to for to, kind in recipients("new_request")] == ["ann@school.example"] * 2


def test_the_digest_comes_once_at_the_chosen_hour_listing_what_waits(school, waiting):
    """Not before 10:00; at 10:00 one digest with both requests, the series as one; no
    second that day."""
    assert write_digests(london(1, 9, 59)) == 0
    assert write_digests(london(1, 10)) == 1
    assert write_digests(london(1, 16, 30)) == 0

    [(to, kind, data)] = queued("digest")
    assert (to, kind, data["date"], data["total"]) == (VAL, "digest", "2026-06-01", 2)
    series, single = data["requests"]  # soonest first: the series starts on Tuesday
    assert [r["date"] for r in series["reservations"]] == [
        "2026-06-02",
        "2026-06-09",
        "2026-06-16",
        "2026-06-23",
    ]
    assert [r["id"] for r in single["reservations"]] == [waiting["single"]["id"]]


def test_the_next_days_digest_lists_only_what_still_waits(client, school, waiting):
    write_digests(london(1, 10))
    change(client, school.keys["ann"], f"/v1/series/{waiting['series']['id']}", status="confirmed")

    assert write_digests(london(2, 10, 5)) == 1

    digests = [data for _, _, data in queued("digest")]
    assert [d["total"] for d in digests] == [2, 1]
    assert digests[1]["requests"][0]["reservations"][0]["id"] == waiting["single"]["id"]


def test_a_day_with_nothing_waiting_sends_nothing(client, school):
    choose(school.val, digest_hour=10)

    assert write_digests(london(1, 11)) == 0

    assert queued() == []
    db.session.rollback()
    assert db.session.get(Account, school.val.id).last_digest_on.isoformat() == "2026-06-01"


def test_turning_requests_off_stops_the_digest(school, waiting):
    choose(school.val, digest_hour=10, new_request=False)

    write_digests(london(1, 10))

    assert queued("digest") == []


def test_the_sender_writes_and_sends_the_digest_as_one_of_its_jobs(
    app, school, waiting, smtp, freeze
):
    """The background sender (here ``deliver-webhooks --once``) runs the digests among its
    jobs, then sends them."""
    freeze(2026, 6, 1, 9, 0)  # 10:00 in London

    result = app.test_cli_runner().invoke(args=["deliver-webhooks", "--once"])

    # The digest, and what the requests wrote: two to Ada, two to Ann (no digest).
    assert "Attempted 5 emails." in result.output, result.output
    [digest] = smtp.to(VAL)
    assert str(digest.message["Subject"]) == "2 requests wait for approval, Mon 1 Jun"
    text = digest.text
    assert "Main Hall, periods 2–3 (10:00–11:50), 4 dates from Tue 2 Jun 2026" in text
    assert "Main Hall, Wed 3 Jun 2026, period 5 (13:00–13:50)" in text
    assert "every day at 10:00" in text
    assert "/unsubscribe?t=" in str(digest.message["List-Unsubscribe"])


def test_several_senders_at_once_write_one_digest(database_url, school, waiting):
    apps = [make_app(database_url, **ZONE) for _ in range(3)]

    def sender(i):
        with apps[i].app_context():
            try:
                return write_digests(london(1, 10))
            finally:
                db.session.remove()

    assert sorted(race(sender, 3)) == [0, 0, 1]
    assert [to for to, _ in recipients("digest")] == [VAL]
    for each in apps:
        with each.app_context():
            db.engine.dispose()


def test_choosing_an_hour_already_past_starts_tomorrow(school, waiting):
    """The Notifications page's rule: a digest hour past today does not send at once."""
    val = db.session.scalar(select(Account).where(Account.id == school.val.id))
    update_notifications(val, ["new_request"], 8, london(1, 9))

    assert write_digests(london(1, 9, 30)) == 0
    assert write_digests(london(2, 8)) == 1
