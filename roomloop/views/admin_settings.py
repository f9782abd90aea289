"""Admin pages: school-wide settings, the rule parameters, the bell schedule, the school
calendar (terms, the timetable cycle, the school days) and blackout dates, with the
bookings already made for a blackout's days, which an admin may cancel together.

Each section has its own form. With htmx a form replaces only its section; without
JavaScript it posts, and the page comes back with the section's outcome. The calendar's
sections are saved through ``update_school_calendar``, as ``PATCH /v1/school`` is: each
whole, or not at all.
"""

from dataclasses import dataclass
from datetime import date
from itertools import zip_longest

from flask import Blueprint, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from ..booking import (
    MAX_PERIODS,
    POLICY_FLAGS,
    RULE_PARAM_RANGES,
    WEEKDAYS,
    bookings_during,
    cancel_bookings_during,
    covered_bookings,
    create_blackout,
    delete_blackout,
    describe,
    find_facilities,
    get_cycle,
    get_facility,
    get_rule_params,
    get_schedule,
    get_setting,
    list_blackouts,
    school_days,
    school_now,
    terms_from,
    update_bell_schedule,
    update_rule_params,
    update_school_calendar,
    week_label,
)
from ..booking.school_calendar import MAX_TERMS
from ..errors import NotFound, ValidationError
from ..extensions import db, htmx
from ..models import BlackoutDate
from . import current_actor
from .admin import requires
from .forms import (
    ActionForm,
    BlackoutForm,
    CancelReasonForm,
    CycleForm,
    RuleParamsForm,
    SchoolDaysForm,
)

bp = Blueprint("admin_settings", __name__, url_prefix="/admin/settings")


@dataclass(frozen=True)
class Table:
    """A section typed as a table, a row a period or a term, saved whole or not at all."""

    section: str  # its id; the template shows ``<section>_rows`` and ``<section>_error``
    parts: tuple  # the columns, as the domain names them
    fields: str  # the form's fields are ``<fields><part>``, one a row
    errors: str  # the domain's errors are keyed ``<errors><row>.<part>`` (rows kept, from 1)
    marked: str  # what the error summary asks to correct
    most: int  # rows at most
    spare: int = 2  # empty rows under the others, to add one without JavaScript


BELL = Table("bell", ("start", "end"), "", "", "the times", MAX_PERIODS)
TERMS = Table("terms", ("name", "start", "end"), "term_", "terms.", "the terms", MAX_TERMS)


@bp.get("")
@requires("settings:manage")
def index():
    """Show the rule parameters, the bell schedule and the blackout dates, each editable;
    with ``covered``, the bookings on that blackout's days."""
    blackout = db.session.get(BlackoutDate, request.args.get("covered", 0, type=int))
    return _page(**_covered(blackout))


@bp.post("/rules")
@requires("settings:manage")
def save_rules():
    """Store the rule parameters and policy flags together, or none if one is out of range."""
    form = RuleParamsForm()
    if form.validate_on_submit():
        values = {n: form[n].data or "" for n in RULE_PARAM_RANGES}
        values |= {n: form[n].data for n in POLICY_FLAGS}
        try:
            update_rule_params(current_actor(), values)
        except ValidationError as exc:
            for name, message in exc.fields.items():
                form[name].errors = [message]
        else:
            return _saved("rules", "Rule parameters saved; bookings follow them from now on.")
    return _section("rules", {"rules_form": form}, status=400)


@bp.post("/bell-schedule")
@requires("settings:manage")
def save_bell_schedule():
    """Replace the bell schedule as a whole; empty rows and rows ticked "Remove" are left out."""
    return _save_table(
        BELL,
        lambda periods: update_bell_schedule(current_actor(), periods, school_now().date()),
        "Bell schedule saved.",
    )


@bp.post("/terms")
@requires("settings:manage")
def save_terms():
    """Replace the terms as a whole; empty rows and rows ticked "Remove" are left out."""
    return _save_table(
        TERMS,
        lambda terms: update_school_calendar(current_actor(), school_now().date(), terms=terms),
        "Terms saved.",
    )


@bp.post("/cycle")
@requires("settings:manage")
def save_cycle():
    """Store the timetable cycle: how many weeks, and the Monday that starts week A."""
    return _save_calendar("cycle", CycleForm(), "cycle", _cycle_of, _cycle_message)


@bp.post("/school-days")
@requires("settings:manage")
def save_school_days():
    """Store the weekdays the school teaches; R-07 refuses bookings on the others."""
    return _save_calendar(
        "school-days",
        SchoolDaysForm(),
        "school_days",
        lambda form: form.school_days.data or [],
        lambda: "School days saved; bookings follow them from now on.",
    )


def _save_calendar(section, form, part, value_of, saved):
    """Store one part of the school calendar from ``form`` through ``update_school_calendar``
    (``part``: its argument; errors keyed ``part`` or ``part.<field>`` go to the field)."""
    if form.validate_on_submit():
        try:
            update_school_calendar(current_actor(), school_now().date(), **{part: value_of(form)})
        except ValidationError as exc:
            for key, message in exc.fields.items():
                field = getattr(form, key.removeprefix(f"{part}."), None)
                (field.errors if field is not None else form.form_errors).append(message)
        else:
            return _saved(section, saved())
    return _section(section, {f"{part}_form": form}, status=400)


def _cycle_of(form):
    weeks, start = (form.weeks.data or "").strip(), (form.start.data or "").strip()
    return {"weeks": int(weeks) if weeks.isdigit() else weeks} | ({"start": start} if start else {})


@bp.post("/blackouts")
@requires("settings:manage")
def add_blackout():
    """Close the school, or one facility, for a day or a range of days."""
    form = _blackout_form()
    if form.validate_on_submit():
        try:
            facility = get_facility(form.facility.data) if form.facility.data else None
            blackout = create_blackout(
                current_actor(),
                _as_date(form.start_date.data),
                _as_date(form.end_date.data),
                form.reason.data,
                facility,
            )
        except NotFound:
            form.facility.errors = ["Choose a facility from the list."]
        except ValidationError as exc:
            for name, message in exc.fields.items():
                form[name].errors = [message]
        else:
            return _saved("blackouts", _added_message(blackout), covered=blackout)
    return _section("blackouts", {"blackout_form": form}, status=400)


@bp.post("/blackouts/<int:blackout_id>/cancel-bookings")
@requires("settings:manage")
def cancel_blackout_bookings(blackout_id):
    """Cancel the bookings on a blackout's days that have not begun, all with one reason."""
    blackout = db.session.get(BlackoutDate, blackout_id)
    if blackout is None:
        return _saved("blackouts", "That blackout was deleted; nothing was cancelled.")
    form = CancelReasonForm()  # its CSRF token checked already, as every post's
    try:
        done = cancel_bookings_during(current_actor(), blackout, form.reason())
    except ValidationError as exc:
        form.cancel_reason.errors = list(exc.fields.values())
        return _section("blackouts", _covered(blackout, form), status=400)
    message = f"Cancelled {_bookings(done.cancelled)} on the days of {describe(blackout)}"
    message += "; their owners are told." if done.cancelled else "."
    if done.begun:
        message += (
            f" {_bookings(done.begun)} had begun and {'stay' if done.begun > 1 else 'stays'}."
        )
    return _saved("blackouts", message, covered=blackout)


@bp.post("/blackouts/<int:blackout_id>/delete")
@requires("settings:manage")
def remove_blackout(blackout_id):
    """Delete a blackout: its days can be booked again."""
    if not ActionForm().validate_on_submit():
        return _section("blackouts", {}, status=400)
    try:
        blackout = delete_blackout(current_actor(), blackout_id)
    except NotFound:
        return _saved("blackouts", "That blackout was already deleted.")
    return _saved("blackouts", f"Deleted the blackout {describe(blackout)}; those days can be "
                  "booked again.")  # fmt: skip


# --- Rendering --------------------------------------------------------------------------

SECTIONS = {
    "rules": "admin/partials/settings_rules.html",
    "bell": "admin/partials/settings_bell.html",
    "terms": "admin/partials/settings_terms.html",
    "cycle": "admin/partials/settings_cycle.html",
    "school-days": "admin/partials/settings_school_days.html",
    "blackouts": "admin/partials/settings_blackouts.html",
}


def _context(**overrides):
    """Everything the sections show, with a section's submitted state in ``overrides``."""
    schedule = get_schedule()
    today = school_now().date()
    upcoming, ended = list_blackouts(today)
    cycle = get_cycle()
    context = {
        "rules_form": RuleParamsForm(formdata=None, data=get_rule_params()),
        "bell_rows": [
            {"start": f"{slot.start:%H:%M}", "end": f"{slot.end:%H:%M}"} for slot in schedule.slots
        ],
        "bell_error": None,
        "terms_rows": [
            {"name": t.name, "start": t.start.isoformat(), "end": t.end.isoformat()}
            for t in terms_from(today)
        ],
        "terms_error": None,
        "terms_default": get_setting("terms") is None,
        "cycle_form": CycleForm(
            formdata=None,
            data={
                "weeks": str(cycle.weeks),
                "start": cycle.start.isoformat() if cycle.start else "",
            },
        ),
        "this_week": week_label(today),
        "school_days_form": SchoolDaysForm(
            formdata=None, data={"school_days": [WEEKDAYS[d] for d in sorted(school_days())]}
        ),
        "blackout_form": _blackout_form(formdata=None),
        "blackouts": upcoming,
        "ended_blackouts": ended,
        "action_form": ActionForm(),
        "describe": describe,
        "bookings_during": bookings_during,
        "covered": None,
        "notice": {},
    }
    context.update(overrides)
    for table in (BELL, TERMS):
        rows = context[f"{table.section}_rows"]
        spare = max(0, min(table.spare, table.most - len(rows)))
        if not rows or any(rows[-1].get(part) for part in table.parts):
            empty = dict.fromkeys(table.parts, "")
            context[f"{table.section}_rows"] = [*rows, *(dict(empty) for _ in range(spare))]
    return context


def _page(status=200, **overrides):
    return render_template("admin/settings.html", **_context(**overrides)), status


def _section(name, overrides, status):
    """One section after a post: its fragment for htmx, else the whole page around it."""
    if htmx:  # htmx swaps only 2xx answers
        return render_template(SECTIONS[name], **_context(**overrides))
    return _page(status, **overrides)


def _saved(name, message, covered=None):
    """The section after a change (with the bookings on the ``covered`` blackout's days)."""
    if htmx:
        overrides = _covered(covered) | {"notice": {name: message}}
        return render_template(SECTIONS[name], **_context(**overrides))
    flash(message, "info")
    covered_id = covered.id if covered is not None else None
    return redirect(url_for("admin_settings.index", covered=covered_id, _anchor=name), code=303)


def _covered(blackout, form=None):
    """What the blackout section shows of the bookings on ``blackout``'s days, if any."""
    covered = covered_bookings(blackout) if blackout is not None else None
    if not covered or not covered.total:
        return {}
    form = form or CancelReasonForm(formdata=None, data={"cancel_reason": blackout.reason})
    return {"covered": covered, "cancel_form": form}


def _bookings(count):
    return f"{count} booking{'s' if count != 1 else ''}"


def _blackout_form(formdata=...):
    form = BlackoutForm() if formdata is ... else BlackoutForm(formdata=formdata)
    form.facility.choices = [SelectChoice("", "The whole school")] + [
        SelectChoice(f.code, f"{f.name} only") for f in find_facilities()
    ]
    return form


def _as_date(text):
    """A date from a date field; ``None`` when empty; the text itself when it is no date."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text


def _added_message(blackout):
    message = f"Added the blackout {describe(blackout)}."
    held = bookings_during(blackout)
    if held:
        message += (
            f" {held} booking{'s' if held > 1 else ''} already made for those days "
            f"{'stay' if held > 1 else 'stays'} booked."
        )
    return message


def _save_table(table, save, saved):
    """``save`` the rows of ``table`` as typed, those filled in and not ticked "Remove"; or
    show the section again with each error on its row."""
    removed = set(request.form.getlist("remove"))
    columns = [request.form.getlist(table.fields + part) for part in table.parts]
    rows = []
    for i, values in enumerate(zip_longest(*columns, fillvalue="")):
        row = {part: value.strip() for part, value in zip(table.parts, values, strict=True)}
        rows.append(row | {"remove": str(i) in removed, "new": not any(row.values())})
    rows = rows[:100]
    kept = [i for i, row in enumerate(rows) if not row["new"] and not row["remove"]]
    error = None
    if ActionForm().validate_on_submit():
        try:
            save([{part: rows[i][part] for part in table.parts} for i in kept])
        except ValidationError as exc:
            error = _place_row_errors(table, rows, kept, exc.fields)
        else:
            return _saved(table.section, saved)
    shown = {f"{table.section}_rows": rows, f"{table.section}_error": error}
    return _section(table.section, shown, status=400)


def _place_row_errors(table, rows, kept, fields):
    """Attach errors keyed ``<errors><n>.<part>`` to the rows as typed; return the rest, or
    what to correct."""
    general = []
    for key, message in fields.items():
        number, _, part = key.removeprefix(table.errors).partition(".")
        if key.startswith(table.errors) and number.isdigit() and part in table.parts:
            rows[kept[int(number) - 1]].setdefault("errors", {})[part] = message
        else:
            general.append(message)
    return " ".join(general) or f"Correct {table.marked} marked below."


def _cycle_message():
    cycle = get_cycle()
    if cycle.weeks == 1:
        return "Timetable cycle saved: every week is the same."
    return (
        f"Timetable cycle saved: {cycle.weeks} weeks, week A from {cycle.start:%a %-d %b %Y}. "
        f"This week is {week_label(school_now().date()).replace('Week', 'week')}."
    )
