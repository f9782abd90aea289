"""An email message built from its row: subject, plain text and HTML, headers, invite.

Each kind has a pair of templates, ``templates/email/<kind>.txt`` and ``<kind>.html``, on
one layout (``base.txt``, ``base.html``); the ``.txt`` one sets the subject. They render
the message's data, written when the change was made, in the school's time zone, with each
booking's bell periods by number and time. Every email links to the Notifications page and
carries a signed one-click unsubscribe link for its kind (RFC 8058). A confirmation or an
approval carries the booking as an iCalendar invite. The message is the standard library's
``email.message.EmailMessage``: it writes the MIME.
"""

from datetime import date, time
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import NamedTuple
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..auth.unsubscribe_tokens import unsubscribe_token
from ..calendar import calendar_ics, entry_for, invite_ics
from ..extensions import db
from ..models import Reservation
from .mail_kinds import CHOICE_OF

# Kinds whose email carries the booking for the person's calendar.
INVITES = frozenset({"confirmed", "approved"})
# Where emails link when ROOMLOOP_SERVER_NAME is unset: the development server of `make run`.
LOCAL_HOST = "127.0.0.1:5000"
TEMPLATES = "roomloop.mail_templates"
# Headers are folded only past RFC 5322's 998 octets: folded at 78, the standard library
# turns a long List-Unsubscribe URL into encoded words (no client reads that as a URL) and
# moves the spaces between encoded words of a subject. The bodies, encoded before, keep
# quoted-printable's 76.
HEADERS = policy.default.clone(max_line_length=998)


def compose(message, account, now):
    """The ``EmailMessage`` of ``message`` (a row of ``email_messages``) to ``account``, as
    at ``now`` (aware)."""
    config = current_app.config
    zone_name = config["TIMEZONE"]
    kind, data = message.kind, message.data
    links = {
        "my": absolute_url("teacher.my_reservations"),
        "book": absolute_url("teacher.grid"),
        "approvals": absolute_url("admin_approvals.index"),
        "notifications": absolute_url("account.notifications"),
        "unsubscribe": absolute_url(
            "unsubscribe.confirm", t=unsubscribe_token(account, CHOICE_OF.get(kind, kind))
        ),
    }
    context = {"kind": kind, "data": data, "person": account, "links": links, "zone": zone_name}
    text = templates().get_template(f"email/{kind}.txt").make_module(context)
    html = templates().get_template(f"email/{kind}.html").render(context, subject=text.subject)

    sender = parseaddr(config["MAIL_FROM"])
    email = EmailMessage()
    email["Subject"] = " ".join(text.subject.split())
    email["From"] = Address(sender[0], addr_spec=sender[1])
    email["To"] = Address(account.name, addr_spec=account.email)
    email["Date"] = format_datetime(now.astimezone(ZoneInfo(zone_name)))
    # The same id on every attempt: a client that gets a message twice shows it once.
    email["Message-ID"] = f"<{message.public_id}@{sender[1].rpartition('@')[2]}>"
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    email["List-Unsubscribe"] = f"<{links['unsubscribe']}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(str(text), cte="quoted-printable")
    email.add_alternative(html, subtype="html", cte="quoted-printable")
    invite = kind in INVITES and booking_invite(data["reservations"], zone_name)
    if invite:
        email.add_attachment(
            invite,
            maintype="text",
            subtype="calendar",
            filename="booking.ics",
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
    email.policy = HEADERS
    return email


def templates():
    """The app's Jinja templates, with the blocks' own line breaks dropped (plain text shows
    every one), kept per app."""
    env = current_app.extensions.get(TEMPLATES)
    if env is None:
        env = current_app.jinja_env.overlay(trim_blocks=True, lstrip_blocks=True)
        env.filters["day"] = day_words
        env.globals["periods"] = period_words
        env.globals["page"] = reservation_page
        current_app.extensions[TEMPLATES] = env
    return env


def absolute_url(endpoint, **values):
    """The address of a page as a link in an email, outside any request: on
    ``ROOMLOOP_SERVER_NAME``, over HTTPS where RoomLoop enforces it."""
    config = current_app.config
    adapter = current_app.url_map.bind(
        config["SERVER_NAME"] or LOCAL_HOST,
        script_name=config["APPLICATION_ROOT"],
        url_scheme="https" if config["ENFORCE_HTTPS"] else "http",
    )
    return adapter.build(endpoint, values, force_external=True)


def reservation_page(reservation):
    """The address of a reservation's own page, from its resource or its row, as the calendar
    feeds link their events."""
    public_id = reservation["id"] if isinstance(reservation, dict) else reservation.public_id
    return absolute_url("reservations.show", public_id=public_id)


def day_words(iso_date, year=True):
    """'2026-12-10' as 'Thu 10 Dec 2026' (without the year: 'Thu 10 Dec')."""
    return date.fromisoformat(iso_date).strftime("%a %-d %b %Y" if year else "%a %-d %b")


def period_words(reservation):
    """A booking's periods by number and time: 'periods 2–3 (10:00–11:50)'."""
    first, last = reservation["start_slot"], reservation["end_slot"]
    name = f"period {first}" if first == last else f"periods {first}–{last}"
    periods = RecordedPeriods(reservation)
    if first not in periods or last not in periods:
        return name
    return f"{name} ({periods[first].start:%H:%M}–{periods[last].end:%H:%M})"


class Period(NamedTuple):
    start: time
    end: time


class RecordedPeriods:
    """A reservation's bell periods as its event recorded them ("10:00–10:50" each), read as
    ``calendar.entry_for`` reads a bell schedule: the email says what the booking said."""

    def __init__(self, reservation):
        self.periods = {}
        numbers = range(reservation["start_slot"], reservation["end_slot"] + 1)
        for number, label in zip(numbers, reservation["slots"], strict=False):
            start, dash, end = label.partition("–")
            if dash:  # a period the schedule had lost is written "period 9": no times
                self.periods[number] = Period(time.fromisoformat(start), time.fromisoformat(end))

    def __contains__(self, number):
        return number in self.periods

    def __getitem__(self, number):
        return self.periods[number]

    def labels(self, start_slot, end_slot):
        return [
            f"{self[n].start:%H:%M}–{self[n].end:%H:%M}" for n in range(start_slot, end_slot + 1)
        ]


def booking_invite(reservations, zone_name):
    """The iCalendar of ``reservations`` (resources) as they are now, at the periods their
    events recorded, each linking to its page, or ``None`` when none is left (deleted
    meanwhile)."""
    ids = [r["id"] for r in reservations]
    rows = {
        row.public_id: row
        for row in db.session.scalars(select(Reservation).where(Reservation.public_id.in_(ids)))
    }
    zone = ZoneInfo(zone_name)
    entries = [
        entry_for(rows[r["id"]], RecordedPeriods(r), zone, reservation_page(r))
        for r in reservations
        if r["id"] in rows
    ]
    entries = [entry for entry in entries if entry is not None]
    if not entries:
        return None
    if len(entries) == 1:
        return invite_ics(entries[0], zone_name)
    return calendar_ics(entries, entries[0].summary, zone_name)
