"""Signing in and out of the pages: Google, or in development a demo account."""

import logging

import requests
from authlib.integrations.flask_client import OAuthError
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from joserfc.errors import JoseError
from sqlalchemy import select

from ..auth.google import FETCH_TIMEOUT, SignInRefused, allowed_domains, sign_in_with_google
from ..auth.sessions import end_browser_session, start_browser_session
from ..extensions import db, oauth
from ..models import ROLES, Account
from .forms import DevLoginForm, LogoutForm

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)

GOOGLE_CLIENT = "roomloop.google_client"  # this app's Authlib client, in app.extensions
NEXT_KEY = "google_sign_in_next"  # where to go after Google sign-in, kept in the session
# What a refused person can do about it; anything else: try again, then ask an admin.
REFUSAL_ADVICE = {
    "unknown_account": "Ask an administrator to add your school email address to RoomLoop, "
    "then sign in again.",
    "account_disabled": "Ask an administrator to enable your account again.",
    "account_mismatch": "Sign in with the Google account you used before, or ask an "
    "administrator to check your account.",
    "domain_not_allowed": "Sign out of Google, then sign in again with your school account.",
    "email_unverified": "Sign in with your school account, whose address Google has verified.",
    "provider_unreachable": "Wait a minute, then sign in again.",
    "cancelled": "Sign in again and choose your school account when Google asks.",
}


def safe_next(target):
    """Follow ``next`` only to a path on this site, never to another host."""
    # Browsers drop tabs and newlines inside URLs and read "\\" as "/", so "/\t/evil.example"
    # would leave the site: any such character disqualifies the target.
    unsafe = any(ch <= " " or ch == "\\" for ch in target or "")
    if target and not unsafe and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("teacher.grid")


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


@bp.record_once
def register_google_client(state):
    """Build this app's Google client, when Google sign-in is configured."""
    config = state.app.config
    if not config["GOOGLE_CLIENT_ID"]:
        return
    # Not ``oauth.register``: Authlib's registry keeps one client per name for the whole
    # process and would hand a second app (every test builds one) the first app's settings.
    state.app.extensions[GOOGLE_CLIENT] = oauth.oauth2_client_cls(
        oauth.framework_integration_cls("google"),
        "google",
        client_id=config["GOOGLE_CLIENT_ID"],
        client_secret=config["GOOGLE_CLIENT_SECRET"],
        server_metadata_url=config["GOOGLE_METADATA_URL"],
        client_kwargs={"scope": "openid email profile", "default_timeout": FETCH_TIMEOUT},
    )


def google_client():
    """This app's Google client; 404 when Google sign-in is not configured."""
    client = current_app.extensions.get(GOOGLE_CLIENT)
    if client is None:
        abort(404)
    return client


@bp.get("/login/google")
def google_login():
    """Send the browser to Google, remembering where to return afterwards."""
    client = google_client()
    session[NEXT_KEY] = safe_next(request.args.get("next"))
    domains = allowed_domains()
    # With a single school domain, Google offers only that domain's accounts.
    extra = {"hd": domains[0]} if len(domains) == 1 else {}
    try:
        return client.authorize_redirect(url_for("auth.google_callback", _external=True), **extra)
    except requests.RequestException as exc:
        return refused(provider_failure(exc))


@bp.get("/login/google/callback")
def google_callback():
    """Finish Google sign-in: verify the ID token, sign its account in, return where asked."""
    client = google_client()
    try:
        token = client.authorize_access_token()
        account = sign_in_with_google(token.get("id_token", ""))
    except SignInRefused as exc:
        return refused(exc)
    except (OAuthError, JoseError, requests.RequestException) as exc:
        return refused(provider_failure(exc))
    sign_in(account)
    return redirect(session.pop(NEXT_KEY, None) or url_for("teacher.grid"))


def sign_in(account):
    """Sign this browser in as an active ``account`` with a new browser session, whose token
    the cookie carries (``Account.get_browser_session_token``)."""
    account.browser_session_token = start_browser_session(account)
    login_user(account)


def provider_failure(exc):
    """Words for a sign-in that ended before RoomLoop could check who it was."""
    code = getattr(exc, "error", None) or type(exc).__name__
    log.info("Google sign-in did not complete: %s", code)
    if code == "access_denied":
        return SignInRefused("cancelled", "Signing in with Google was cancelled.")
    if isinstance(exc, requests.RequestException):
        return SignInRefused("provider_unreachable", "Google could not be reached.")
    if isinstance(exc, JoseError):
        return SignInRefused("invalid_token", "The Google sign-in could not be verified.")
    return SignInRefused(
        "sign_in_failed",
        "The Google sign-in could not be completed: it took too long, or was started in "
        "another window.",
    )


def refused(exc):
    """The page for a refused sign-in: why, what to do, and which admins can help."""
    session.pop(NEXT_KEY, None)
    admins = db.session.scalars(
        select(Account)
        .where(Account.role == "admin", Account.status == "active")
        .order_by(Account.name)
        .limit(3)
    ).all()
    advice = REFUSAL_ADVICE.get(
        exc.reason, "Sign in again. If it keeps happening, ask an administrator."
    )
    page = render_template(
        "auth/refused.html", reason=exc.reason, message=exc.message, advice=advice, admins=admins
    )
    return page, 403


@bp.post("/login/dev")
def dev_login():
    """Sign in as a chosen account; exists only while ROOMLOOP_DEV_LOGIN is on."""
    if not current_app.config["DEV_LOGIN"]:
        abort(404)
    form = DevLoginForm()
    if not form.validate_on_submit():
        abort(400)
    account = db.session.scalar(select(Account).where(Account.public_id == form.account_id.data))
    if account is None or not account.is_active:
        flash("That account cannot sign in.", "error")
        return redirect(url_for("auth.login"))
    sign_in(account)
    return redirect(safe_next(form.next.data))


@bp.post("/logout")
@login_required
def logout():
    """Sign out and return to the sign-in page."""
    if LogoutForm().validate_on_submit():
        end_browser_session(current_user.browser_session_token)
        logout_user()
        flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
