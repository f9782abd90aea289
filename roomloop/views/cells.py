"""The cells of the availability grid and of a facility's week: what each one shows.

Rendered here rather than in a template, the way WTForms renders its widgets: a grid page
has hundreds of cells, and a template macro per cell cost most of the page's time. What a
row's cells share (the facility's name, escaped; its booking link) is worked out once per
row, not once per cell.

A free cell the viewer could not book (``booking.decide_day``) says why in two words, with
the rules engine's own message in its accessible name and shown on hover or focus. A
booking of several periods is one cell spanning them.

Approvers and admins see someone else's booking as a link when they may cancel it: to the
reservation's page, or with htmx its cancel form in the grid's panel. Whether they may is
asked of the slot's holder, as the grid has read it: no query per cell.
"""

from dataclasses import dataclass
from functools import lru_cache
from itertools import groupby
from urllib.parse import quote

from flask import g, url_for
from markupsafe import Markup, escape

from ..auth.permissions import can_cancel_reservation


@dataclass(frozen=True, slots=True)
class Cell:
    kind: str  # free | refused | mine | booked | pending | closed | past | blackout (CSS class)
    text: str  # what the cell says, its state in words as well as colour
    who: str | None  # who holds the slot, when somebody else does
    label: str  # its accessible name: facility, period(s), times and state
    href: str | None  # the booking form, prefilled, for a free cell; else a booking's page
    span: int = 1  # periods a booking's cell spans
    reason: str | None = None  # a refused cell: the rule's message, and its code
    rule: str | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """What every cell of ``facility`` on ``day`` needs, read once (all escaped for HTML)."""

    name: str
    closed_text: str  # what a closed cell says: the facility is closed or in maintenance
    book_query: str  # the booking link up to its slots: ``<book_url>?facility_id=..&date=..``
    reservations_url: str  # a reservation's page is this followed by its id
    departments: tuple  # the departments the facility admits, if it names any

    @classmethod
    def of(cls, facility, day, book_url):
        return cls(
            name=str(escape(facility.name)),
            closed_text="Closed" if facility.status == "closed" else "Maintenance",
            book_query=str(
                escape(f"{book_url}?facility_id={quote(facility.code)}&date={day.isoformat()}")
            ),
            reservations_url=_reservations_url(),
            departments=tuple(facility.allowed_departments or ()),
        )


def _facility_url():
    """Where facilities' pages are (their code follows), worked out once a request."""
    if "facility_url" not in g:
        g.facility_url = url_for("teacher.facility", code="-").removesuffix("-")
    return g.facility_url


def _reservations_url():
    """Where reservations' pages are, worked out once a request rather than once a row."""
    if "reservations_url" not in g:
        g.reservations_url = url_for("reservations.show", public_id="-").removesuffix("-")
    return g.reservations_url


def short_reason(refusal, row, held_room):
    """Two words for why a free-looking cell is not the viewer's: the rule's message says the
    rest. ``held_room`` is the room the viewer holds in that period, if any (R-10)."""
    if refusal.rule == "R-10":
        return f"You're in {escape(held_room)}" if held_room else "You're elsewhere"
    if refusal.rule == "R-08" and len(row.departments) == 1:
        return f"{escape(row.departments[0])} only"
    return REFUSAL_WORDS.get(refusal.rule, "Not for you")


REFUSAL_WORDS = {
    "R-01": "Started",
    "R-02": "Closed",
    "R-03": "Just taken",
    "R-04": "Run too long",
    "R-05": "Not open yet",
    "R-06": "Quota used",
    "R-07": "No bookings",
    "R-08": "Not for you",
}


def cell_for(row, state, viewer, refusal=None, held_room=None, until=None, viewer_id=None):
    """The ``Cell`` of ``state`` (a ``SlotState`` on the ``Row``'s day) for ``viewer`` (an
    ``Actor``); ``refusal`` is the rules' answer to the viewer booking a free cell, and
    ``until`` the last ``SlotState`` of a booking spanning several (``viewer_id``: the
    viewer's account id, when known); its text, label and link are escaped for HTML."""
    slot, holder = state.slot, state.holder
    viewer_id = viewer_id or viewer.account.id
    last = until.slot if until else slot
    span = last.number - slot.number + 1
    where = row.name + _periods(slot, last)[0]
    if state.status == "free" and refusal is not None:
        words = short_reason(refusal, row, held_room)
        message = str(escape(refusal.message))
        label = f"{where}, {words}: {message}"
        return Cell("refused", words, None, label, None, reason=message, rule=refusal.rule)
    if state.status == "free":
        href = f"{row.book_query}&amp;start_slot={slot.number}&amp;end_slot={slot.number}"
        return Cell("free", "Free", None, f"{where}, free. Book it", href)
    if holder is not None and holder.account_id == viewer_id:
        pending = holder.status == "pending"
        text = "Yours · pending" if pending else "Yours"
        label = f"{where}, yours (pending approval)" if pending else f"{where}, yours"
        return Cell("mine", text, None, label, None, span)
    if state.status in ("pending", "booked"):
        who = str(escape(holder.account_name))
        done = "requested" if state.status == "pending" else "booked"
        label = f"{where}, {done} by {who}"
        if state.begun or not can_cancel_reservation(viewer, holder):
            return Cell(state.status, state.status.title(), who, label, None, span)
        href = row.reservations_url + holder.reservation_id
        # A link's name starts with what it shows ("Booked · Ada Park"), so that speech
        # input finds it by its words.
        text = state.status.title()
        return Cell(state.status, text, who, f"{text} · {who}, {where}. Cancel it", href, span)
    if state.status == "blackout" and state.note:
        note = str(escape(state.note))
        return Cell("blackout", note, None, f"{where}, blackout: {note}", None)
    text = {"past": "Past", "blackout": "Blackout", "closed": row.closed_text}[state.status]
    return Cell(state.status, text, None, f"{where}, {text.lower()}", None)


@lru_cache(maxsize=256)
def _periods(first, last):
    """What a cell from slot ``first`` to ``last`` says of its periods: in its name after the
    room's (", period 3, 11:00–11:50"), and shown before its words when the grid is a list
    ("P3 · 11:00"). Worked out once per schedule, not once per cell."""
    start = first.label[:5]
    if first == last:
        return f", period {first.number}, {first.label}", f"P{first.number} · {start}"
    span = f"{first.number}–{last.number}"
    return f", periods {span}, {start}–{last.label[-5:]}", f"P{span} · {start}"


def _td(
    row,
    state,
    viewer,
    inline_booking=True,
    refusal=None,
    held_room=None,
    until=None,
    viewer_id=None,
):
    cell = cell_for(row, state, viewer, refusal, held_room, until, viewer_id)
    # The period(s), shown before the cell's words when the grid is a list (narrow screens).
    when = f' data-when="{_periods(state.slot, until.slot if until else state.slot)[1]}"'
    span = f' colspan="{cell.span}"' if cell.span > 1 else ""
    star = '<span aria-hidden="true">★</span> ' if cell.kind == "mine" else ""
    who = f'<span class="who"> · {cell.who}</span>' if cell.who else ""
    if cell.kind == "refused":
        # The reason shows on hover or focus; its words are in the cell's name already.
        return (
            f'<td class="cell cell-refused"{when} aria-label="{cell.label}">'
            f'<span class="cell-text">{cell.text}</span><span class="cell-reason" '
            f'aria-hidden="true">{cell.reason} <small>{cell.rule}</small></span></td>'
        )
    if cell.href is None:
        return (
            f'<td class="cell cell-{cell.kind}"{span}{when} aria-label="{cell.label}">'
            f'<span class="cell-text">{star}{cell.text}{who}</span></td>'
        )
    # A free cell opens the booking form, someone else's booking the cancel form.
    opens = cell.href if cell.kind == "free" else f"{cell.href}/cancel"
    hx = f' hx-get="{opens}" hx-target="#booking-panel"' if inline_booking else ""
    # A free cell looks empty but for "Book"; "Free" shows on hover and focus, and is in
    # its name throughout.
    text = "<span>Free · </span>Book" if cell.kind == "free" else f"{cell.text}{who}"
    return (
        f'<td class="cell cell-{cell.kind}"{span}{when}><a href="{cell.href}"{hx} '
        f'aria-label="{cell.label}">{text}</a></td>'
    )


def cell_html(facility, day, state, viewer, book_url, inline_booking=True):
    """The ``<td>`` of one cell. A free cell's link opens the booking form in the page's
    panel (htmx), or, with ``inline_booking`` false, as a page of its own; so does a
    booking's link its cancel form."""
    return Markup(_td(Row.of(facility, day, book_url), state, viewer, inline_booking))


def grid_rows(facilities, day, states, viewer, book_url, viewer_day=None, oob=False):
    """The grid's ``<tr>`` of each of ``facilities`` on ``day``: its header (the room's name,
    a link to its week, and what it is) and its cells (``row_cells``). ``states`` maps
    facility ids to their ``SlotState``s; ``oob``: swapped into the grid from another answer."""
    week = f"?week={day.isoformat()}"
    swap = ' hx-swap-oob="true"' if oob else ""
    rows = []
    for f in facilities:
        code = escape(f.code)
        what = escape(f"{f.type.replace('_', ' ')} · {f.building} · {f.capacity} seats")
        approval = " · needs approval" if f.requires_approval else ""
        rows.append(
            f'<tr id="row-{code}"{swap}>'
            f'<th scope="row" class="facility-name">'
            f'<a href="{_facility_url()}{escape(quote(f.code))}{week}">{escape(f.name)}</a>'
            f'<span class="muted facility-meta">{what}{approval}</span></th>'
            f"{row_cells(f, day, states[f.id], viewer, book_url, viewer_day)}</tr>"
        )
    return Markup("".join(rows))


def _booking_or_period(state):
    """What groups a row's slot states into cells: a booking's id, else the period alone."""
    return state.holder.reservation_id if state.holder is not None else state.slot.number


def row_cells(facility, day, states, viewer, book_url, viewer_day=None):
    """The cells of one grid row: ``facility`` on ``day``, as ``viewer`` (an ``Actor``)
    sees them; ``viewer_day`` (``booking.decide_day``) says which free cells the viewer
    could not book. A booking's consecutive periods make one cell."""
    row = Row.of(facility, day, book_url)
    refusals = viewer_day.refusals if viewer_day else {}
    held_rooms = viewer_day.held_rooms if viewer_day else {}
    fid, cells = facility.id, []
    me = viewer.account.id
    for _, run in groupby(states, key=_booking_or_period):
        first, *rest = run
        if first.holder is not None:  # a booking: one cell for its consecutive periods
            until = rest[-1] if rest else None
            cells.append(_td(row, first, viewer, until=until, viewer_id=me))
            continue
        n = first.slot.number
        cells.append(
            _td(row, first, viewer, True, refusals.get((fid, n)), held_rooms.get(n), viewer_id=me)
        )
    return Markup("".join(cells))
