"""The signed-in person's own account: what RoomLoop knows of them, which emails they get,
and signing out everywhere."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from ..auth.sessions import end_all_sessions
from ..booking import school_now
from ..errors import ValidationError
from ..people import notification_choices, update_notifications
from .forms import ActionForm, NotificationsForm

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("")
@login_required
def index():
    """Show the person's name, email, role and department, their emails, and "Sign out
    everywhere"."""
    choices = notification_choices(current_user)
    return render_template("account/index.html", form=ActionForm(), choices=choices)


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def notifications():
    """Show, and save, which kinds of email the person gets (and an approver's digest)."""
    form = NotificationsForm()
    choices = notification_choices(current_user)
    form.kinds.choices = [(c.kind, c.description) for c in choices]
    if form.validate_on_submit():
        hour = form.digest_hour.data
        try:
            update_notifications(
                current_user, form.kinds.data or [], int(hour) if hour else None, school_now()
            )
        except ValidationError as exc:
            for name, message in exc.fields.items():
                getattr(form, name).errors.append(message)
        else:
            flash("Your email choices are saved.", "info")
            return redirect(url_for("account.notifications"), code=303)
    elif request.method == "GET":
        form.kinds.data = [c.kind for c in choices if c.on]
        hour = current_user.digest_hour
        form.digest_hour.data = "" if hour is None else str(hour)
    approver = any(c.kind == "new_request" for c in choices)
    status = 400 if form.errors else 200
    return render_template("account/notifications.html", form=form, approver=approver), status


@bp.post("/sign-out-everywhere")
@login_required
def sign_out_everywhere():
    """End every browser session and API session of the account, this one included."""
    if not ActionForm().validate_on_submit():
        abort(400)
    end_all_sessions(current_user)
    logout_user()
    flash(
        "You are signed out everywhere: every browser and app that was signed in to your "
        "account must sign in again. API keys still work.",
        "info",
    )
    return redirect(url_for("auth.login"))
