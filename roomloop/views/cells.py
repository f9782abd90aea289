"""The cells of the availability grid and of a facility's week: what each one shows.

Rendered here rather than in a template, the way WTForms renders its widgets: a grid page
has hundreds of cells, and a template macro per cell cost most of the page's time. What a
row's cells share (the facility's name, escaped; its booking link) is worked out once per
row, not once per cell.

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
    kind: str  # free | mine | booked | pending | closed | past | blackout (its CSS class)
    text: str  # what the cell says, its state in words as well as colour
    who: str | None  # who holds the slot, when somebody else does
    label: str  # its accessible name: facility, period, times and state
    href: str | None  # the booking form, prefilled, for a free cell; else a booking's page


@dataclass(frozen=True, slots=True)
class Row:
    """What every cell of ``facility`` on ``day`` needs, read once (all escaped for HTML)."""

    name: str
    closed_text: str  # what a closed cell says: the facility is closed or in maintenance
    book_query: str  # the booking link up to its slots: ``<book_url>?facility_id=..&date=..``
    reservations_url: str  # a reservation's page is this followed by its id

    @classmethod
    def of(cls, facility, day, book_url):
        return cls(
            name=str(escape(facility.name)),
            closed_text="Closed" if facility.status == "closed" else "Maintenance",
            book_query=str(
                escape(f"{book_url}?facility_id={quote(facility.code)}&date={day.isoformat()}")
            ),
            reservations_url=_reservations_url(),
        )


def _reservations_url():
    """Where reservations' pages are, worked out once a request rather than once a row."""
    if "reservations_url" not in g:
        g.reservations_url = url_for("reservations.show", public_id="-").removesuffix("-")
    return g.reservations_url


def cell_for(row, state, viewer):
    """The ``Cell`` of ``state`` (a ``SlotState`` on the ``Row``'s day) for ``viewer`` (an
    ``Actor``); its text, label and link are escaped for HTML."""
    slot, holder, viewer_id = state.slot, state.holder, viewer.account.id
    where = f"{row.name}, period {slot.number}, {slot.label}"
    if state.status == "free":
        href = f"{row.book_query}&amp;start_slot={slot.number}&amp;end_slot={slot.number}"
        return Cell("free", "Free", None, f"{where}, free. Book it", href)
    if holder is not None and holder.account_id == viewer_id:
        pending = holder.status == "pending"
        text = "Yours · pending" if pending else "Yours"
        label = f"{where}, yours (pending approval)" if pending else f"{where}, yours"
        return Cell("mine", text, None, label, None)
    if state.status in ("pending", "booked"):
        who = str(escape(holder.account_name))
        done = "requested" if state.status == "pending" else "booked"
        label = f"{where}, {done} by {who}"
        if state.begun or not can_cancel_reservation(viewer, holder):
            return Cell(state.status, state.status.title(), who, label, None)
        href = row.reservations_url + holder.reservation_id
        # A link's name starts with what it shows ("Booked · Ada Park"), so that speech
        # input finds it by its words.
        text = state.status.title()
        return Cell(state.status, text, who, f"{text} · {who}, {where}. Cancel it", href)
    text = {"past": "Past", "blackout": "Blackout", "closed": row.closed_text}[state.status]
    return Cell(state.status, text, None, f"{where}, {text.lower()}", None)


def _td(row, state, viewer, inline_booking=True):
    cell = cell_for(row, state, viewer)
    star = '<span aria-hidden="true">★</span> ' if cell.kind == "mine" else ""
    who = f'<span class="who"> · {cell.who}</span>' if cell.who else ""
    if cell.href is None:
        return (
            f'<td class="cell cell-{cell.kind}" aria-label="{cell.label}">'
            f"{star}{cell.text}{who}</td>"
        )
    # A free cell opens the booking form, someone else's booking the cancel form.
    opens = cell.href if cell.kind == "free" else f"{cell.href}/cancel"
    hx = f' hx-get="{opens}" hx-target="#booking-panel"' if inline_booking else ""
    return (
        f'<td class="cell cell-{cell.kind}"><a href="{cell.href}"{hx} aria-label="{cell.label}">'
        f"{cell.text}{who}</a></td>"
    )


def cell_html(facility, day, state, viewer, book_url, inline_booking=True):
    """The ``<td>`` of one cell. A free cell's link opens the booking form in the page's
    panel (htmx), or, with ``inline_booking`` false, as a page of its own; so does a
    booking's link its cancel form."""
    return Markup(_td(Row.of(facility, day, book_url), state, viewer, inline_booking))


def row_cells(facility, day, states, viewer, book_url):
    """The cells of one grid row: ``facility`` on ``day``, as ``viewer`` (an ``Actor``)
    sees them."""
    row = Row.of(facility, day, book_url)
    return Markup("".join(_td(row, s, viewer) for s in states))
