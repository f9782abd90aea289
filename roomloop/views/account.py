"""The signed-in person's own account: what RoomLoop knows of them, and signing out
everywhere."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user

from ..auth.sessions import end_all_sessions
from .forms import ActionForm

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.get("")
@login_required
def index():
    """Show the person's name, email, role and department, and "Sign out everywhere"."""
    return render_template("account/index.html", form=ActionForm())


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
