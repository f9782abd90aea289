"""Page forms. Flask-WTF adds and checks the CSRF token on every one of them."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
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
