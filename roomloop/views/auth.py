"""Signing in and out of the pages: Google, or in development a demo account."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required, login_user, logout_user
from sqlalchemy import select

from ..extensions import db
from ..models import ROLES, Account
from .forms import DevLoginForm, LogoutForm

bp = Blueprint("auth", __name__)


def safe_next(target):
    """Follow ``next`` only to a path on this site, never to another host."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.index")


@bp.get("/login")
def login():
    """Show the sign-in choices: Google, and the demo accounts when dev login is on."""
    accounts_by_role = {}
    if current_app.config["DEV_LOGIN"]:
        accounts = db.session.scalars(
            select(Account).where(Account.status == "active").order_by(Account.name)
        )
        for account in accounts:
            accounts_by_role.setdefault(account.role, []).append(account)
    return render_template(
        "auth/login.html",
        google_enabled=bool(current_app.config["GOOGLE_CLIENT_ID"]),
        accounts_by_role={role: accounts_by_role.get(role, []) for role in reversed(ROLES)},
        form=DevLoginForm(),
        next=request.args.get("next", ""),
    )


@bp.post("/login/dev")
def dev_login():
    """Sign in as a chosen account; exists only while ROOMLOOP_DEV_LOGIN is on."""
    if not current_app.config["DEV_LOGIN"]:
        abort(404)
    form = DevLoginForm()
    if not form.validate_on_submit():
        abort(400)
    account = db.session.scalar(select(Account).where(Account.public_id == form.account_id.data))
    if account is None or not login_user(account):
        flash("That account cannot sign in.", "error")
        return redirect(url_for("auth.login"))
    return redirect(safe_next(form.next.data))


@bp.post("/logout")
@login_required
def logout():
    """Sign out and return to the sign-in page."""
    if LogoutForm().validate_on_submit():
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
