"""The cells of the availability grid and of a facility's week: what each one shows.

Rendered here rather than in a template, the way WTForms renders its widgets: a grid page
has hundreds of cells, and a template macro per cell cost most of the page's time. What a
row's cells share (the facility's name, escaped; its booking link) is worked out once per
row, not once per cell.
"""

from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape


@dataclass(frozen=True, slots=True)
class Cell:
    kind: str  # free | mine | booked | pending | closed | past | blackout (its CSS class)
    text: str  # what the cell says, its state in words as well as colour
    who: str | None  # who holds the slot, when somebody else does
    label: str  # its accessible name: facility, period, times and state
    href: str | None  # the booking form, prefilled, for a free cell


@dataclass(frozen=True, slots=True)
class Row:
    """What every cell of ``facility`` on ``day`` needs, read once (all escaped for HTML)."""

    name: str
    closed_text: str  # what a closed cell says: the facility is closed or in maintenance
    book_query: str  # the booking link up to its slots: ``<book_url>?facility_id=..&date=..``

    @classmethod
    def of(cls, facility, day, book_url):
        return cls(
            name=str(escape(facility.name)),
            closed_text="Closed" if facility.status == "closed" else "Maintenance",
            book_query=str(
                escape(f"{book_url}?facility_id={quote(facility.code)}&date={day.isoformat()}")
            ),
        )


def cell_for(row, state, viewer_id):
    """The ``Cell`` of ``state`` (a ``SlotState`` on the ``Row``'s day) for the viewer; its
    text, label and link are escaped for HTML."""
    slot, holder = state.slot, state.holder
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
        return Cell(state.status, state.status.title(), who, f"{where}, {done} by {who}", None)
    text = {"past": "Past", "blackout": "Blackout", "closed": row.closed_text}[state.status]
    return Cell(state.status, text, None, f"{where}, {text.lower()}", None)


def _td(row, state, viewer_id, inline_booking=True):
    cell = cell_for(row, state, viewer_id)
    if cell.href is not None:
        hx = f' hx-get="{cell.href}" hx-target="#booking-panel"' if inline_booking else ""
        return (
            f'<td class="cell cell-free"><a href="{cell.href}"{hx} aria-label="{cell.label}">'
            "Free</a></td>"
        )
    star = '<span aria-hidden="true">★</span> ' if cell.kind == "mine" else ""
    who = f'<span class="who"> · {cell.who}</span>' if cell.who else ""
    return (
        f'<td class="cell cell-{cell.kind}" aria-label="{cell.label}">{star}{cell.text}{who}</td>'
    )


def cell_html(facility, day, state, viewer_id, book_url, inline_booking=True):
    """The ``<td>`` of one cell. A free cell's link opens the booking form in the page's
    panel (htmx), or, with ``inline_booking`` false, as a page of its own."""
    return Markup(_td(Row.of(facility, day, book_url), state, viewer_id, inline_booking))


def row_cells(facility, day, states, viewer_id, book_url):
    """The cells of one grid row: ``facility`` on ``day``."""
    row = Row.of(facility, day, book_url)
    return Markup("".join(_td(row, s, viewer_id) for s in states))
