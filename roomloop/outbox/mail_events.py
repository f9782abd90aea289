"""Which emails each event owes to whom, written with the event in the change's transaction.

``record_events`` hands every batch of events here. A booking confirmed at once tells its
holder (``confirmed``); one waiting for approval tells its holder (``pending``) and the
approvers (``new_request``, unless they chose a daily digest); an approver's decision tells
the holder (``approved``, ``rejected``), and so does a cancellation by anyone but the holder
(``cancelled``, saying who and why). A series is told once (``series_booked``), never date
by date, and the dates one change decides for one person make one email.

A message is a row of ``email_messages`` holding what it will be rendered from; the rows of
a batch are one INSERT, and nothing is rendered here (``mail_sender`` renders and sends
later). A change that rolls back takes its messages with it. A person who turned a kind
off, or whose account is disabled, gets no row.
"""

from collections import defaultdict
from operator import itemgetter

from sqlalchemy import insert, inspect, select

from ..extensions import db
from ..models import Account, EmailMessage, Reservation, Series, new_public_id, utcnow
from ..resources import account_ref
from .claims import DUE
from .mail_kinds import APPROVER_ROLES, wants

# Built once, like the booking's own statements: every booking runs it.
INSERT_MESSAGES = insert(EmailMessage.__table__)
# What deciding on a person's email reads of their account.
PERSON = (
    Account.id,
    Account.public_id,
    Account.status,
    Account.role,
    Account.notifications,
    Account.digest_hour,
)
PERSON_FIELDS = frozenset(column.key for column in PERSON)
APPROVERS_QUERY = select(*PERSON).where(
    Account.role.in_(APPROVER_ROLES), Account.status == "active"
)
# A new booking's first email, by the status the rules gave it.
ON_CREATED = {"confirmed": "confirmed", "pending": "pending"}


def write_emails(rows, by=None):
    """Queue the emails that the events of ``rows`` (as ``record_events`` takes them) owe;
    ``by`` is the account that made the change, which an event does not always say."""
    insert_messages(emails_owed(rows, by))


def emails_owed(rows, by=None):
    """The messages (rows of ``email_messages``) that the events of ``rows`` owe, unwritten:
    a booking works them out before it takes the write lock. A series' dates are read from
    the database, so its events' messages are worked out after its dates are written."""
    notes, requests, series = [], [], []
    decided = {}  # one email per person, kind, decider and reason: a series' dates together
    for row in rows:
        data = row["data"]
        if row["type"] == "reservation.created" and data["series_id"] is None:
            told = {"reservations": [data]}
            notes.append((data["user"]["id"], ON_CREATED[data["status"]], told))
            if data["status"] == "pending":
                requests.append((data["user"]["id"], told))
        elif row["type"] == "reservation.confirmed":
            if by is None or by.public_id != data["user"]["id"]:
                decider = None if by is None else account_ref(by)
                _gather(decided, data, "approved", decider, None)
        elif row["type"] == "reservation.cancelled":
            canceller = data["cancelled_by"]  # None: RoomLoop itself
            if canceller is None or canceller["id"] != data["user"]["id"]:
                kind = "rejected" if was_pending(data) else "cancelled"
                _gather(decided, data, kind, canceller, data["cancel_reason"])
        elif row["type"] == "series.created":
            series.append(data)
    if series:
        dates = _series_dates(series, rows)
        for data in series:
            told = {"series": data, "dates": dates[data["id"]]}
            notes.append((data["user"]["id"], "series_booked", told))
            if data["counts"]["pending"]:
                requests.append((data["user"]["id"], told))
    notes += [(holder, kind, told) for (holder, kind, _, _), told in decided.items()]
    return email_messages(notes, requests) if notes or requests else []


def was_pending(reservation):
    """Whether a cancelled reservation was still waiting for approval: its rules' outcome is
    the status they last gave it, and only confirming (which rewrites it) ends pending."""
    return reservation["rules"].get("outcome") == "pending"


def _gather(decided, data, kind, by, reason):
    key = (data["user"]["id"], kind, by and by["id"], reason)
    told = decided.setdefault(key, {"reservations": [], "by": by, "reason": reason})
    told["reservations"].append(data)


def _series_dates(series, rows):
    """Each new series' dates and their status, by its public id: from the batch's own
    ``reservation.created`` events where it holds them all (a series booked alone), else
    from the database (a timetable's events are written a thousand at a time)."""
    dates = defaultdict(list)
    for row in rows:
        data = row["data"]
        if row["type"] == "reservation.created" and data["series_id"] is not None:
            dates[data["series_id"]].append({"date": data["date"], "status": data["status"]})
    split = [
        s["id"]
        for s in series
        if len(dates[s["id"]]) != s["counts"]["confirmed"] + s["counts"]["pending"]
    ]
    if split:
        stored = db.session.execute(
            select(Series.public_id, Reservation.date, Reservation.status)
            .join(Reservation, Reservation.series_id == Series.id)
            .where(Series.public_id.in_(split))
        )
        for public_id in split:
            dates[public_id] = []
        for public_id, day, status in stored:
            dates[public_id].append({"date": day.isoformat(), "status": status})
    for listed in dates.values():
        listed.sort(key=itemgetter("date"))
    return dates


def queue_blackout_emails(blackout, reservations, by=None):
    """Tell each person whose bookings a new blackout covers which of theirs, in one email:
    ``blackout`` says where, when and why; ``reservations`` are the covered bookings'
    resources. ``by``, who added it, knows already."""
    covered = defaultdict(list)
    for reservation in reservations:
        if by is None or reservation["user"]["id"] != by.public_id:
            covered[reservation["user"]["id"]].append(reservation)
    queue_emails(
        [
            (holder, "blackout_added", {"blackout": blackout, "reservations": theirs})
            for holder, theirs in covered.items()
        ]
    )


def queue_emails(notes, requests=()):
    """Write the messages: each ``(person's public id, kind, data)`` of ``notes`` to that
    person, and each ``(requester's public id, data)`` of ``requests`` as ``new_request`` to
    every approver who wants one email a request (not to the requester). One INSERT."""
    insert_messages(email_messages(notes, requests))


def email_messages(notes, requests=()):
    """The rows ``queue_emails`` writes for ``notes`` and ``requests``, unwritten."""
    people = _people({holder for holder, _, _ in notes})
    approvers = db.session.execute(APPROVERS_QUERY).all() if requests else []
    now = utcnow()
    messages = [
        _message(people[holder].id, kind, told, now)
        for holder, kind, told in notes
        if holder in people and wants(people[holder], kind)
    ]
    messages += [
        _message(approver.id, "new_request", told, now)
        for requester, told in requests
        for approver in approvers
        if approver.public_id != requester
        and approver.digest_hour is None
        and wants(approver, "new_request")
    ]
    return messages


def insert_messages(messages):
    if messages:
        # Core on the session's connection, as the event's own INSERT.
        db.session.connection().execute(INSERT_MESSAGES, messages)
        db.session.info[DUE] = True


def _people(public_ids):
    """The accounts of ``public_ids``, by public id: those this session holds loaded (a
    booking's own person always is) without another query, the others in one."""
    found = {}
    for held in db.session.identity_map.values():
        if (
            isinstance(held, Account)
            and not inspect(held).unloaded & PERSON_FIELDS
            and held.public_id in public_ids
        ):
            found[held.public_id] = held
    missing = public_ids - found.keys()
    if missing:
        rows = db.session.execute(select(*PERSON).where(Account.public_id.in_(missing)))
        found.update((row.public_id, row) for row in rows)
    return found


def _message(account_id, kind, data, now):
    return {
        "public_id": new_public_id("eml_"),
        "account_id": account_id,
        "kind": kind,
        "data": data,
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "claimed_until": None,
        "last_error": "",
        "sent_at": None,
        "created_at": now,
    }
