"""Input schemas, one per action, shared by the API and the pages.

The API validates JSON strictly (``2`` is a slot, ``"2"`` is not); pages validate form
fields, which are always text, leniently. Errors come back as one message per field.
"""

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from .errors import ValidationError
from .models import (
    ACCOUNT_STATUSES,
    ENDPOINT_STATUSES,
    FACILITY_STATUSES,
    RESERVATION_STATUSES,
    ROLES,
    SERIES_STATUSES,
)

FACILITY_CODE = r"^[a-z0-9][a-z0-9_-]{0,63}$"
RESERVATION_ID = r"^res_[0-9a-f]{1,30}$"
SERIES_ID = r"^ser_[0-9a-f]{1,30}$"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# The dates RoomLoop takes anywhere: a school's calendar lies well inside, and a page's
# arithmetic on them (a week on, a week back) stays inside what Python's dates can hold.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2100, 12, 31)
DATE_RANGE_MESSAGE = f"Use a date from {FIRST_DATE} to {LAST_DATE}."


def _whole_number(value):
    """JSON has one number type: ``2.0`` is the integer 2. Text and booleans never are."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def read_iso_date(text):
    """The date ``text`` writes as ``YYYY-MM-DD``, or ``None`` if it is not one (pydantic
    alone would read ``"0"`` as 1970-01-01)."""
    try:
        return date.fromisoformat(text) if ISO_DATE.fullmatch(text) else None
    except ValueError:
        return None


def _iso_date(value):
    if not isinstance(value, str):
        return value
    day = read_iso_date(value)
    if day is None:
        raise PydanticCustomError("date_format", "Use a real date in the form YYYY-MM-DD.")
    if not in_date_range(day):
        raise PydanticCustomError("out_of_range_date", DATE_RANGE_MESSAGE)
    return day


def in_date_range(day):
    return FIRST_DATE <= day <= LAST_DATE


def page_date(text):
    """A date from a page's query string or form field, or ``None`` when the text is empty,
    not a date or outside the dates RoomLoop takes."""
    try:
        return _iso_date((text or "").strip())
    except PydanticCustomError:
        return None


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
IsoDate = Annotated[date, BeforeValidator(_iso_date)]
SlotNumber = Annotated[WholeNumber, Field(ge=1, le=48)]


# C0 control characters other than tab, newline and carriage return: PostgreSQL cannot
# store NUL, and none of them belongs in a name, a purpose or an id.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _refuse_control_characters(value):
    if isinstance(value, str) and CONTROL_CHARACTERS.search(value):
        raise ValueError("Must not contain control characters.")
    if isinstance(value, list):
        for item in value:
            _refuse_control_characters(item)
    return value


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    _no_control_characters = field_validator("*")(_refuse_control_characters)


class Query(BaseModel):
    """Query strings: text values, unknown parameters ignored."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    _no_control_characters = field_validator("*")(_refuse_control_characters)


class ReservationCreate(Schema):
    facility_id: Annotated[str, Field(min_length=1, max_length=64)]
    date: IsoDate
    start_slot: SlotNumber
    end_slot: SlotNumber
    purpose: Annotated[str, Field(min_length=1, max_length=200)]
    attendees: Annotated[WholeNumber, Field(ge=1, le=100_000)] | None = None
    user_id: Annotated[str, Field(max_length=32)] | None = None  # book for someone else
    override: list[Literal["R-04", "R-05", "R-06"]] = []

    @field_validator("end_slot")
    @classmethod
    def end_not_before_start(cls, end_slot, info):
        start_slot = info.data.get("start_slot")
        if start_slot is not None and end_slot < start_slot:
            raise ValueError("end_slot must not be before start_slot")
        return end_slot


CancelReason = Annotated[str, Field(max_length=500)]


def _only_when_cancelling(value, info):
    if value and info.data.get("status") != "cancelled":
        raise ValueError('cancel_reason goes with "status": "cancelled"')
    return value


class ReservationUpdate(Schema):
    purpose: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    status: Literal["confirmed", "cancelled"] | None = None
    cancel_reason: CancelReason | None = None

    _reason_when_cancelling = field_validator("cancel_reason")(_only_when_cancelling)


WeekdayName = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class SeriesRepeat(Schema):
    weekdays: Annotated[list[WeekdayName], Field(min_length=1, max_length=7)]
    every_weeks: Annotated[WholeNumber, Field(ge=1, le=4)] = 1
    cycle_week: Annotated[WholeNumber, Field(ge=1, le=4)] | None = None

    @field_validator("weekdays")
    @classmethod
    def each_day_once(cls, weekdays):
        if len(set(weekdays)) != len(weekdays):
            raise ValueError("Name each weekday once.")
        return weekdays


class SeriesCreate(Schema):
    facility_id: Annotated[str, Field(min_length=1, max_length=64)]
    first_date: IsoDate
    until: IsoDate | None = None
    repeat: SeriesRepeat
    start_slot: SlotNumber
    end_slot: SlotNumber
    purpose: Annotated[str, Field(min_length=1, max_length=200)]
    attendees: Annotated[WholeNumber, Field(ge=1, le=100_000)] | None = None
    user_id: Annotated[str, Field(max_length=32)] | None = None  # book for someone else
    override: list[Literal["R-04", "R-05", "R-06"]] = []
    on_conflict: Literal["fail", "skip"] = "fail"
    dry_run: bool = False

    @field_validator("end_slot")
    @classmethod
    def end_not_before_start(cls, end_slot, info):
        start_slot = info.data.get("start_slot")
        if start_slot is not None and end_slot < start_slot:
            raise ValueError("end_slot must not be before start_slot")
        return end_slot

    @field_validator("until")
    @classmethod
    def until_not_before_first(cls, until, info):
        first = info.data.get("first_date")
        if until is not None and first is not None and until < first:
            raise ValueError("until must not be before first_date")
        return until


class SeriesUpdate(Schema):
    purpose: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    status: Literal["confirmed", "cancelled"] | None = None
    from_: IsoDate | None = Field(default=None, alias="from")
    cancel_reason: CancelReason | None = None

    _reason_when_cancelling = field_validator("cancel_reason")(_only_when_cancelling)

    @field_validator("from_")
    @classmethod
    def only_when_cancelling(cls, from_, info):
        if from_ is not None and info.data.get("status") != "cancelled":
            raise ValueError('\'from\' goes with "status": "cancelled"')
        return from_


class PeriodInput(Schema):
    start: Annotated[str, Field(max_length=8)]
    end: Annotated[str, Field(max_length=8)]


class SchoolUpdate(Schema):
    """PATCH /v1/school: the parts sent change, each checked as on the Settings page."""

    periods: Annotated[list[PeriodInput], Field(max_length=100)] | None = None
    terms: Annotated[list[dict], Field(max_length=100)] | None = None
    cycle: dict | None = None
    school_days: Annotated[list[str], Field(max_length=7)] | None = None


class RestrictionsInput(Schema):
    departments: list[Annotated[str, Field(min_length=1, max_length=80)]] = []
    roles: list[Literal[ROLES]] = []
    max_slots_per_booking: Annotated[WholeNumber, Field(ge=1, le=48)] | None = None


# Minutes after a booking's first period starts that it waits for a check-in (facilities
# that require one).
ReleaseMinutes = Annotated[WholeNumber, Field(ge=1, le=60)]


class FacilityFields(Schema):
    name: Annotated[str, Field(min_length=1, max_length=120)]
    type: Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,39}$")]
    building: Annotated[str, Field(max_length=80)] = ""
    capacity: Annotated[WholeNumber, Field(ge=0, le=100_000)] = 0
    amenities: list[Annotated[str, Field(min_length=1, max_length=60)]] = []
    status: Literal[FACILITY_STATUSES] = "active"
    requires_approval: bool = False
    description: Annotated[str, Field(max_length=4000)] = ""
    restrictions: RestrictionsInput = RestrictionsInput()
    check_in_required: bool = False
    release_after_minutes: ReleaseMinutes = 15


class FacilityCreate(FacilityFields):
    id: Annotated[str, Field(pattern=FACILITY_CODE)]


class FacilityUpdate(Schema):
    """PATCH: only the fields sent change; ``restrictions`` is replaced as a whole."""

    name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    type: Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,39}$")] | None = None
    building: Annotated[str, Field(max_length=80)] | None = None
    capacity: Annotated[WholeNumber, Field(ge=0, le=100_000)] | None = None
    amenities: list[Annotated[str, Field(min_length=1, max_length=60)]] | None = None
    status: Literal[FACILITY_STATUSES] | None = None
    requires_approval: bool | None = None
    description: Annotated[str, Field(max_length=4000)] | None = None
    restrictions: RestrictionsInput | None = None
    check_in_required: bool | None = None
    release_after_minutes: ReleaseMinutes | None = None


class DisplayCreate(Schema):
    label: Annotated[str, Field(max_length=120)] = ""


class GoogleTokenExchange(Schema):
    # Google's ID tokens are about 1 KB; the cap keeps a huge body from reaching the decoder.
    id_token: Annotated[str, Field(min_length=1, max_length=8192)]


class Page(Query):
    limit: Annotated[int, Field(ge=1, le=500)] = 50
    cursor: Annotated[str, Field(max_length=500)] | None = None


class FacilityListQuery(Page):
    type: str | None = None
    building: str | None = None
    status: Literal[FACILITY_STATUSES] | None = None


class ReservationListQuery(Page):
    user_id: str | None = None
    facility_id: str | None = None
    series_id: Annotated[str, Field(max_length=40)] | None = None
    from_: IsoDate | None = Field(default=None, alias="from")
    to: IsoDate | None = None
    status: Literal[RESERVATION_STATUSES] | None = None

    @field_validator("to")
    @classmethod
    def range_in_order(cls, to, info):
        start = info.data.get("from_")
        if to is not None and start is not None and to < start:
            raise ValueError("'to' must not be before 'from'")
        return to


class SeriesListQuery(Page):
    user_id: str | None = None
    facility_id: str | None = None
    status: Literal[SERIES_STATUSES] | None = None


class GridQuery(Query):
    """The grid page's filters; empty form fields mean "any"."""

    date: IsoDate | None = None
    type: Annotated[str, Field(max_length=40)] | None = None
    building: Annotated[str, Field(max_length=80)] | None = None
    capacity: Annotated[int, Field(ge=0, le=100_000)] | None = None
    amenity: Annotated[str, Field(max_length=60)] | None = None
    page: Annotated[int, Field(ge=1, le=10_000)] | None = None

    @field_validator("date", "type", "building", "capacity", "amenity", "page", mode="before")
    @classmethod
    def empty_is_any(cls, value):
        return None if value == "" else value


class AvailabilityQuery(Query):
    date: IsoDate


def parse_json(schema, raw_body):
    """Validate a JSON request body strictly; raise ``ValidationError`` naming each bad field."""
    if not raw_body or not raw_body.strip():
        raise ValidationError({"body": "A JSON object is required."})
    try:
        return schema.model_validate_json(raw_body, strict=True)
    except PydanticValidationError as exc:
        raise ValidationError(_fields(exc)) from None


def parse_values(schema, values):
    """Validate text values (query strings, form fields) leniently."""
    try:
        return schema.model_validate(values)
    except PydanticValidationError as exc:
        raise ValidationError(_fields(exc)) from None


def _fields(exc):
    fields = {}
    for error in exc.errors(include_url=False):
        loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
        name = ".".join(loc) or "body"
        if error["type"] == "json_invalid":
            name, message = "body", "The body is not valid JSON."
        elif error["type"] == "model_type" and not loc:
            name, message = "body", "The body must be a JSON object."
        else:
            message = _message(error)
        fields.setdefault(name, message)
    return fields


def _message(error):
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        return "Unknown field."
    if error["type"].startswith("date_"):
        return "Use a real date in the form YYYY-MM-DD."
    if error["type"] == "string_pattern_mismatch":
        if error["ctx"]["pattern"] == FACILITY_CODE:
            return "Use lower-case letters, digits, '-' or '_'."
        return "Use lower-case letters and '_'."
    # "Value error, end_slot must not ..." -> "end_slot must not ..."
    return re.sub(r"^Value error, ", "", message)


ACCOUNT_ID = r"^usr_[0-9a-f]{1,30}$"


class AccountCreate(Schema):
    # The address's syntax is checked, and lower-cased, by ``people.accounts.normalise_email``.
    email: Annotated[str, Field(min_length=1, max_length=254)]
    name: Annotated[str, Field(min_length=1, max_length=120)]
    department: Annotated[str, Field(max_length=80)] = ""
    role: Literal[ROLES] = "teacher"


class AccountUpdate(Schema):
    """PATCH: only the fields sent change. The email is the account's key and stays."""

    name: Annotated[str, Field(min_length=1, max_length=120)] | None = None
    department: Annotated[str, Field(max_length=80)] | None = None
    role: Literal[ROLES] | None = None
    status: Literal[ACCOUNT_STATUSES] | None = None


class AccountListQuery(Page):
    department: Annotated[str, Field(max_length=80)] | None = None
    role: Literal[ROLES] | None = None
    status: Literal[ACCOUNT_STATUSES] | None = None
    q: Annotated[str, Field(max_length=100)] | None = None  # part of the name or email


class AccountImportQuery(Query):
    dry_run: bool = False


class TimetableImportQuery(Query):
    dry_run: bool = False


class ReportQuery(Query):
    """A report's or an export's range and filters; empty form fields mean "any"."""

    from_: IsoDate = Field(alias="from")
    to: IsoDate
    facility_id: Annotated[str, Field(max_length=64)] | None = None
    user_id: Annotated[str, Field(max_length=32)] | None = None
    department: Annotated[str, Field(max_length=80)] | None = None

    @field_validator("facility_id", "user_id", "department", mode="before")
    @classmethod
    def empty_is_any(cls, value):
        return None if value == "" else value

    @field_validator("to")
    @classmethod
    def range_in_order(cls, to, info):
        start = info.data.get("from_")
        if start is not None and to < start:
            raise ValueError("'to' must not be before 'from'")
        return to


class WebhookCreate(Schema):
    # The URL's scheme and host, and the event types, are checked by ``outbox/webhooks.py``.
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    events: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20)]
    description: Annotated[str, Field(max_length=200)] = ""


class WebhookUpdate(Schema):
    url: Annotated[str, Field(min_length=1, max_length=2000)] | None = None
    events: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=20)] | None = (
        None
    )
    description: Annotated[str, Field(max_length=200)] | None = None
    status: Literal[ENDPOINT_STATUSES] | None = None
