"""Admin pages: school-wide settings, the rule parameters, the bell schedule and blackout dates.

The page has three sections, each with its own form. With htmx a form replaces only its
section; without JavaScript it posts, and the page comes back with the section's outcome.
"""

from datetime import date
from itertools import zip_longest

from flask import Blueprint, flash, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from ..booking import (
    MAX_PERIODS,
    POLICY_FLAGS,
    RULE_PARAM_RANGES,
    bookings_during,
    create_blackout,
    delete_blackout,
    describe,
    find_facilities,
    get_facility,
    get_rule_params,
    get_schedule,
    list_blackouts,
    school_now,
    update_bell_schedule,
    update_rule_params,
)
from ..errors import NotFound, ValidationError
from ..extensions import htmx
from . import current_actor
from .admin import requires
from .forms import ActionForm, BlackoutForm, RuleParamsForm

bp = Blueprint("admin_settings", __name__, url_prefix="/admin/settings")

SPARE_PERIODS = 2  # empty rows under the bell schedule, to add periods without JavaScript


@bp.get("")
@requires("settings:manage")
def index():
    """Show the rule parameters, the bell schedule and the blackout dates, each editable."""
    return _page()


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
    removed = set(request.form.getlist("remove"))
    rows = [
        {"start": start.strip(), "end": end.strip(), "remove": str(i) in removed}
        for i, (start, end) in enumerate(
            zip_longest(request.form.getlist("start"), request.form.getlist("end"), fillvalue="")
        )
    ][:100]
    kept = [i for i, row in enumerate(rows) if (row["start"] or row["end"]) and not row["remove"]]
    error = None
    if ActionForm().validate_on_submit():
        try:
            update_bell_schedule(current_actor(), [rows[i] for i in kept], school_now().date())
        except ValidationError as exc:
            error = _place_period_errors(rows, kept, exc.fields)
        else:
            return _saved("bell", "Bell schedule saved.")
    return _section("bell", {"bell_rows": rows, "bell_error": error}, status=400)


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
            return _saved("blackouts", _added_message(blackout))
    return _section("blackouts", {"blackout_form": form}, status=400)


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
    "blackouts": "admin/partials/settings_blackouts.html",
}


def _context(**overrides):
    """Everything the three sections show, with a section's submitted state in ``overrides``."""
    schedule = get_schedule()
    upcoming, ended = list_blackouts(school_now().date())
    context = {
        "rules_form": RuleParamsForm(formdata=None, data=get_rule_params()),
        "bell_rows": [
            {"start": f"{slot.start:%H:%M}", "end": f"{slot.end:%H:%M}"} for slot in schedule.slots
        ],
        "bell_error": None,
        "blackout_form": _blackout_form(formdata=None),
        "blackouts": upcoming,
        "ended_blackouts": ended,
        "action_form": ActionForm(),
        "describe": describe,
        "notice": {},
    }
    context.update(overrides)
    rows = context["bell_rows"]
    spare = max(0, min(SPARE_PERIODS, MAX_PERIODS - len(rows)))
    if not rows or rows[-1]["start"] or rows[-1]["end"]:
        context["bell_rows"] = [*rows, *({"start": "", "end": ""} for _ in range(spare))]
    return context


def _page(status=200, **overrides):
    return render_template("admin/settings.html", **_context(**overrides)), status


def _section(name, overrides, status):
    """One section after a post: its fragment for htmx, else the whole page around it."""
    if htmx:  # htmx swaps only 2xx answers
        return render_template(SECTIONS[name], **_context(**overrides))
    return _page(status, **overrides)


def _saved(name, message):
    if htmx:
        return render_template(SECTIONS[name], **_context(notice={name: message}))
    flash(message, "info")
    return redirect(url_for("admin_settings.index", _anchor=name), code=303)


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


def _place_period_errors(rows, kept, fields):
    """Attach ``"<period>.start"``-style errors to the rows as typed; return the rest."""
    general = []
    for key, message in fields.items():
        period, _, part = key.partition(".")
        if period.isdigit() and part in ("start", "end"):
            rows[kept[int(period) - 1]].setdefault("errors", {})[part] = message
        else:
            general.append(message)
    return " ".join(general) or "Correct the times marked below."
