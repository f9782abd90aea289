"""Page forms. Flask-WTF adds and checks the CSRF token on every one of them."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


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


class BookingForm(FlaskForm):
    """Rendering and CSRF only: the fields are validated by ``schemas.ReservationCreate``,
    the same schema as ``POST /v1/reservations``."""

    facility_id = HiddenField()
    date = HiddenField()
    start_slot = HiddenField()
    end_slot = SelectField("Until the end of period", coerce=str, validate_choice=False)
    purpose = StringField("Purpose", render_kw={"maxlength": 200, "autocomplete": "off"})
    attendees = IntegerField("Attendees (optional)", validators=[Optional()])


class PurposeForm(FlaskForm):
    purpose = StringField("Purpose", validators=[DataRequired(), Length(max=200)])


class CancelForm(FlaskForm):
    pass
