"""Page forms. Flask-WTF adds and checks the CSRF token on every one of them."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, DateInput, ListWidget, NumberInput

from ..outbox import EVENT_PATTERNS, EVENT_TYPES
from ..schemas import ReservationUpdate, parse_values
from .series_words import WEEKDAY_NAMES


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DevLoginForm(FlaskForm):
    account_id = HiddenField()
    next = HiddenField()


class LogoutForm(FlaskForm):
    pass


class ApiKeyForm(FlaskForm):
    email = StringField("Owner's email", validators=[DataRequired(), Length(max=254)])
    label = StringField("What is it for?", validators=[Length(max=120)])
    scopes = MultiCheckboxField("Limit to these capabilities (none ticked: all of the owner's)")


class RevokeForm(FlaskForm):
    pass


class DisplayForm(FlaskForm):
    """Rendering and CSRF only: ``schemas.DisplayCreate`` checks the label, as the API does."""

    label = StringField(
        "Where is it?",
        description="Optional, e.g. the door by the stairs. At most 120 characters.",
        render_kw={"maxlength": 120, "autocomplete": "off"},
    )


class BookingForm(FlaskForm):
    """Rendering and CSRF only: the fields are validated by ``schemas.ReservationCreate``,
    the same schema as ``POST /v1/reservations``."""

    facility_id = HiddenField()
    date = HiddenField()
    start_slot = HiddenField()
    end_slot = SelectField("Until the end of period", coerce=str, validate_choice=False)
    # Required on the server too (the schema); marked so that it is announced as required.
    purpose = StringField(
        "Purpose",
        render_kw={
            "maxlength": 200,
            "autocomplete": "off",
            "required": True,
            "aria-required": "true",
        },
    )
    attendees = IntegerField("Attendees (optional)", validators=[Optional()])
    # A repeating booking: validated by ``schemas.SeriesCreate``, as ``POST /v1/series``.
    # The choices depend on the school's calendar: ``views.series_booking`` sets them.
    repeat = SelectField("Repeat", validate_choice=False)
    weekdays = MultiCheckboxField("On these days", validate_choice=False)
    until = StringField("Repeat until", widget=DateInput())


class PurposeForm(FlaskForm):
    purpose = StringField("Purpose", validators=[DataRequired(), Length(max=200)])


class CancelForm(FlaskForm):
    pass


class ActionForm(FlaskForm):
    """A button that changes something (confirm, reject, delete): CSRF only."""


class CancelReasonForm(FlaskForm):
    """Cancel a booking, or several, saying why if one likes."""

    cancel_reason = TextAreaField(
        "Reason",
        description="Optional. Shown on the booking, and to whoever booked it when someone "
        "else cancels.",
        render_kw={"maxlength": 500, "rows": 2},
    )

    def reason(self):
        """The reason checked as the API checks ``cancel_reason``; ``None`` when empty."""
        values = {"status": "cancelled", "cancel_reason": self.cancel_reason.data or ""}
        return parse_values(ReservationUpdate, values).cancel_reason or None


FACILITY_STATUS_CHOICES = [
    SelectChoice("active", "Open for booking"),
    SelectChoice("maintenance", "Under maintenance"),
    SelectChoice("closed", "Closed"),
]


class FacilityForm(FlaskForm):
    """Rendering and CSRF only: the values are validated by ``schemas.FacilityCreate`` and
    ``schemas.FacilityUpdate``, the same schemas as ``/v1/facilities``."""

    name = StringField("Name", render_kw={"maxlength": 120, "autocomplete": "off"})
    type = StringField(
        "Type",
        description="Lower-case letters and _, e.g. lab, classroom, gym.",
        render_kw={"list": "facility-types", "maxlength": 40, "autocomplete": "off"},
    )
    building = StringField("Building", render_kw={"maxlength": 80})
    capacity = StringField("Seats", widget=NumberInput(min=0, max=100_000))
    amenities = StringField(
        "Amenities", description="Separate them with commas: projector, fume hood."
    )
    status = SelectField("Status", choices=FACILITY_STATUS_CHOICES, validate_choice=False)
    requires_approval = BooleanField("Bookings wait for an approver to confirm them")
    description = TextAreaField("Description", render_kw={"rows": 3, "maxlength": 4000})
    allowed_departments = StringField(
        "Only these departments may book",
        description="Separate them with commas. Empty: every department.",
    )
    allowed_roles = MultiCheckboxField(
        "Only these roles may book (none ticked: every role)",
        choices=[
            SelectChoice(role, role.capitalize()) for role in ("teacher", "approver", "admin")
        ],
        validate_choice=False,
    )
    max_slots_per_booking = StringField(
        "Longest booking, in periods",
        description="Empty: the school-wide limit on the Settings page.",
        widget=NumberInput(min=1, max=48),
    )
    check_in_required = BooleanField("Bookings must be checked in at the door or online")
    release_after_minutes = StringField(
        "Release a booking nobody checked in after (minutes)",
        description="From the start of its first period, 1 to 60. Its periods become free.",
        widget=NumberInput(min=1, max=60),
        default="15",
    )


class FacilityCreateForm(FacilityForm):
    id = StringField(
        "Id",
        description="A short code for links and the API: lower-case letters, digits, - or _, "
        "e.g. lab-alpha. It cannot change later.",
        render_kw={"maxlength": 64, "autocomplete": "off"},
    )


class RuleParamsForm(FlaskForm):
    """Rendering and CSRF only: ``booking.settings.validate_rule_params`` checks the values."""

    max_consecutive_slots = StringField(
        "Most periods in a row (R-04)",
        description="1 to 12. A facility may set its own limit.",
        widget=NumberInput(min=1, max=12),
    )
    booking_window_days = StringField(
        "Days ahead that can be booked (R-05)",
        description="1 to 365.",
        widget=NumberInput(min=1, max=365),
    )
    weekly_quota_slots = StringField(
        "Periods one person may hold per week (R-06)",
        description="1 to 200.",
        widget=NumberInput(min=1, max=200),
    )
    approvers_confirm_own = BooleanField(
        "Approvers may confirm their own requests",
        description="Off: an approver's own request waits for another approver or an admin.",
    )
    door_display_names = BooleanField(
        "Door displays show who booked the room",
        description="Off: a door display shows that a room is booked and what for, not by whom.",
    )


class CycleForm(FlaskForm):
    """Rendering and CSRF only: ``school_calendar.validate_cycle`` checks the values."""

    weeks = SelectField(
        "Weeks in the timetable",
        choices=[
            SelectChoice("1", "1: every week is the same"),
            SelectChoice("2", "2: week A, week B"),
            SelectChoice("3", "3: weeks A to C"),
            SelectChoice("4", "4: weeks A to D"),
        ],
        validate_choice=False,
    )
    start = StringField(
        "Monday that starts week A",
        description="Needed from two weeks on: any Monday of a week A, past or future. "
        "Holidays and blackouts do not shift the cycle.",
        widget=DateInput(),
    )


class SchoolDaysForm(FlaskForm):
    """Rendering and CSRF only: ``school_calendar.validate_school_days`` checks the values."""

    school_days = MultiCheckboxField(
        "The days the school teaches",
        description="Bookings on the other days are refused (rule R-07); those already made stay.",
        choices=[SelectChoice(day, name) for day, name in WEEKDAY_NAMES.items()],
        validate_choice=False,
    )


class BlackoutForm(FlaskForm):
    """Rendering and CSRF only: ``blackouts.create_blackout`` checks the values."""

    start_date = StringField("First day", widget=DateInput())
    end_date = StringField("Last day", description="Empty: just the first day.", widget=DateInput())
    reason = StringField(
        "Reason",
        description="Teachers see it when they try to book, e.g. Half-term.",
        render_kw={"maxlength": 200},
    )
    facility = SelectField("Closed", validate_choice=False)


ROLE_CHOICES = [SelectChoice(role, role.capitalize()) for role in ("teacher", "approver", "admin")]
ACCOUNT_STATUS_CHOICES = [SelectChoice("active", "Active"), SelectChoice("disabled", "Disabled")]


class AccountForm(FlaskForm):
    """Rendering and CSRF only: the values are validated by ``schemas.AccountUpdate``, the
    same schema as ``PATCH /v1/accounts/:id``."""

    name = StringField("Name", render_kw={"maxlength": 120, "autocomplete": "off"})
    department = StringField(
        "Department", description="Empty: no department.", render_kw={"maxlength": 80}
    )
    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=False)
    status = SelectField(
        "Status",
        choices=ACCOUNT_STATUS_CHOICES,
        description="A disabled account cannot sign in; its API keys and sessions are revoked.",
        validate_choice=False,
    )


class AccountCreateForm(FlaskForm):
    """Rendering and CSRF only: validated by ``schemas.AccountCreate`` (``POST /v1/accounts``)."""

    email = StringField(
        "Email", render_kw={"maxlength": 254, "autocomplete": "off", "type": "email"}
    )
    name = StringField("Name", render_kw={"maxlength": 120, "autocomplete": "off"})
    department = StringField("Department", render_kw={"maxlength": 80})
    role = SelectField("Role", choices=ROLE_CHOICES, validate_choice=False)


class ImportUploadForm(FlaskForm):
    """A CSV import's upload; ``file`` is read from ``request.files`` by the view."""


class ImportConfirmForm(FlaskForm):
    """The previewed file, carried to the confirm step (see ``imports.carry``)."""

    content = HiddenField()
    filename = HiddenField()


def _event_label(event_type):
    family, _, name = event_type.partition(".")
    return f"Every {family} event ({event_type})" if name == "*" else event_type


class WebhookForm(FlaskForm):
    """Rendering and CSRF only: the values are validated by ``schemas.WebhookCreate`` and
    ``outbox.webhooks.create_endpoint``, as for ``POST /v1/webhooks``."""

    url = StringField(
        "URL",
        description="Where RoomLoop posts the events, e.g. https://timetable.example/hooks/roomloop.",
        render_kw={
            "maxlength": 2000,
            "autocomplete": "off",
            "type": "url",
            "inputmode": "url",
            "spellcheck": "false",
        },
    )
    events = MultiCheckboxField(
        "Events to send",
        description="Tick a whole family to get its every event, including any added later, "
        "or only the events the receiver needs.",
        choices=[
            SelectChoice(event_type, _event_label(event_type))
            for family in ("reservation", "account")
            for event_type in (*EVENT_PATTERNS, *EVENT_TYPES)
            if event_type.startswith(family + ".")
        ],
        validate_choice=False,
    )
    description = StringField(
        "Description",
        description="Optional: what receives the events, e.g. Door displays in the Curie Building.",
        render_kw={"maxlength": 200, "autocomplete": "off"},
    )


class WebhookStatusForm(FlaskForm):
    """Enable or disable an endpoint: the status it should have after the click."""

    status = HiddenField()


# The approvers' choice: an email per request, or the day's requests in one at an hour.
DIGEST_CHOICES = [SelectChoice("", "An email for each request, as it arrives")] + [
    SelectChoice(str(hour), f"One email a day, at {hour:02d}:00") for hour in range(24)
]


class NotificationsForm(FlaskForm):
    """The Notifications page; ``people.update_notifications`` checks the values."""

    kinds = MultiCheckboxField("Email me when", validate_choice=False)
    # Only approvers see it; a teacher's form leaves it out, which is "" (each request).
    digest_hour = SelectField("Requests to decide", choices=DIGEST_CHOICES, default="")
