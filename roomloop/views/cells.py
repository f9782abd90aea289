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


def cell_for(row, state, viewer, refusal=None, held_room=None, until=None):
    """The ``Cell`` of ``state`` (a ``SlotState`` on the ``Row``'s day) for ``viewer`` (an
    ``Actor``); ``refusal`` is the rules' answer to the viewer booking a free cell, and
    ``until`` the last ``SlotState`` of a booking spanning several; its text, label and link
    are escaped for HTML."""
    slot, holder, viewer_id = state.slot, state.holder, viewer.account.id
    last = until or state
    span = last.slot.number - slot.number + 1
    if span == 1:
        where = f"{row.name}, period {slot.number}, {slot.label}"
    else:
        times = f"{slot.start:%H:%M}–{last.slot.end:%H:%M}"
        where = f"{row.name}, periods {slot.number}–{last.slot.number}, {times}"
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


def _when(state, until):
    """The period(s) a cell covers, with the time they start."""
    if until is None:
        return f"P{state.slot.number} · {state.slot.start:%H:%M}"
    return f"P{state.slot.number}–{until.slot.number} · {state.slot.start:%H:%M}"


def _td(row, state, viewer, inline_booking=True, refusal=None, held_room=None, until=None):
    cell = cell_for(row, state, viewer, refusal, held_room, until)
    # The period(s), shown before the cell's words when the grid is a list (narrow screens).
    when = f' data-when="{_when(state, until)}"'
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
    text = (
        '<span class="cell-free-word">Free · </span><span class="cell-book">Book</span>'
        if cell.kind == "free"
        else f"{cell.text}{who}"
    )
    return (
        f'<td class="cell cell-{cell.kind}"{span}{when}><a href="{cell.href}"{hx} '
        f'aria-label="{cell.label}">{text}</a></td>'
    )


def cell_html(facility, day, state, viewer, book_url, inline_booking=True):
    """The ``<td>`` of one cell. A free cell's link opens the booking form in the page's
    panel (htmx), or, with ``inline_booking`` false, as a page of its own; so does a
    booking's link its cancel form."""
    return Markup(_td(Row.of(facility, day, book_url), state, viewer, inline_booking))


def row_cells(facility, day, states, viewer, book_url, viewer_day=None):
    """The cells of one grid row: ``facility`` on ``day``, as ``viewer`` (an ``Actor``)
    sees them; ``viewer_day`` (``booking.decide_day``) says which free cells the viewer
    could not book. A booking's consecutive periods make one cell."""
    row = Row.of(facility, day, book_url)
    refusals = viewer_day.refusals if viewer_day else {}
    held_rooms = viewer_day.held_rooms if viewer_day else {}
    cells, i = [], 0
    while i < len(states):
        state, j = states[i], i
        holder = state.holder
        while (
            holder is not None
            and j + 1 < len(states)
            and states[j + 1].holder is not None
            and states[j + 1].holder.reservation_id == holder.reservation_id
        ):
            j += 1
        n = state.slot.number
        refusal = refusals.get((facility.id, n))
        until = states[j] if j > i else None
        cells.append(_td(row, state, viewer, True, refusal, held_rooms.get(n), until))
        i = j + 1
    return Markup("".join(cells))
