"""The cells of the availability grid and of a facility's week: what each one shows.

Rendered here rather than in a template, the way WTForms renders its widgets: a grid page
has hundreds of cells, and a template macro per cell cost most of the page's time.
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


def cell_for(facility, day, state, viewer_id, book_url):
    """The ``Cell`` of ``state`` (a ``SlotState`` of ``facility`` on ``day``) for the viewer."""
    slot, holder = state.slot, state.holder
    where = f"{facility.name}, period {slot.number}, {slot.label}"
    if state.status == "free":
        href = (
            f"{book_url}?facility_id={quote(facility.code)}&date={day.isoformat()}"
            f"&start_slot={slot.number}&end_slot={slot.number}"
        )
        return Cell("free", "Free", None, f"{where}, free. Book it", href)
    if holder is not None and holder.account_id == viewer_id:
        pending = holder.status == "pending"
        text = "Yours · pending" if pending else "Yours"
        label = f"{where}, yours (pending approval)" if pending else f"{where}, yours"
        return Cell("mine", text, None, label, None)
    if state.status == "pending":
        label = f"{where}, requested by {holder.account_name}"
        return Cell("pending", "Pending", holder.account_name, label, None)
    if state.status == "booked":
        label = f"{where}, booked by {holder.account_name}"
        return Cell("booked", "Booked", holder.account_name, label, None)
    text = {"past": "Past", "blackout": "Blackout"}.get(state.status)
    if state.status == "closed":
        text = "Closed" if facility.status == "closed" else "Maintenance"
    return Cell(state.status, text, None, f"{where}, {text.lower()}", None)


def cell_html(facility, day, state, viewer_id, book_url, inline_booking=True):
    """The ``<td>`` of one cell. A free cell's link opens the booking form in the page's
    panel (htmx), or, with ``inline_booking`` false, as a page of its own."""
    cell = cell_for(facility, day, state, viewer_id, book_url)
    label = escape(cell.label)
    if cell.href is not None:
        href = escape(cell.href)
        hx = f' hx-get="{href}" hx-target="#booking-panel"' if inline_booking else ""
        return Markup(
            f'<td class="cell cell-free"><a href="{href}"{hx} aria-label="{label}">Free</a></td>'
        )
    star = '<span aria-hidden="true">★</span> ' if cell.kind == "mine" else ""
    who = f'<span class="who"> · {escape(cell.who)}</span>' if cell.who else ""
    text = escape(cell.text)
    return Markup(f'<td class="cell cell-{cell.kind}" aria-label="{label}">{star}{text}{who}</td>')


def row_cells(facility, day, states, viewer_id, book_url):
    """The cells of one grid row: ``facility`` on ``day``."""
    return Markup("").join(cell_html(facility, day, s, viewer_id, book_url) for s in states)
