"""Page blueprints, and how a page finds who is signed in."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_url

from .. import logs
from ..auth.permissions import Actor
from ..auth.sessions import find_signed_in_account
from ..booking import facility_row, week_label
from ..errors import Forbidden, NotFound
from ..extensions import htmx, login_manager


@login_manager.user_loader
def load_account(token):
    """The account the cookie's browser session signs in, or ``None`` (signed out) once the
    session has ended or expired or the account is disabled."""
    account = find_signed_in_account(token)
    if account is None:
        return None
    account.browser_session_token = token  # signing out ends this session
    logs.identify(account)
    return account


@login_manager.unauthorized_handler
def sign_in_first():
    """Send a signed-out person to sign in, and back to the page afterwards. htmx asks for a
    part of a page (a panel, a list) and would swap the sign-in page into it: it goes to sign
    in itself instead (HX-Redirect), and back to the page it was on, not to the part."""
    flash(login_manager.login_message, login_manager.login_message_category)
    target = login_url(login_manager.login_view, htmx.current_url if htmx else request.url)
    if htmx:
        return "", 401, {"HX-Redirect": target}
    return redirect(target)


def facility_or_404(code):
    """The facility a page's path or query names (a plain row), or a 404 page."""
    try:
        return facility_row(code)
    except NotFound:
        abort(404)


def current_actor():
    """The signed-in account with its role's capabilities. The account itself, not Flask-Login's
    proxy of it: the grid asks for its id once a cell."""
    return Actor.for_account(current_user._get_current_object())


def init_app(app):
    from . import admin_accounts, admin_approvals, admin_facilities, admin_reports, admin_settings
    from .account import bp as account
    from .admin import bp as admin
    from .admin_displays import bp as admin_displays
    from .admin_timetable import bp as admin_timetable
    from .admin_webhooks import bp as admin_webhooks
    from .auth import bp as auth
    from .calendar import bp as calendar
    from .cells import cell_html, grid_rows
    from .check_in import bp as check_in
    from .displays import bp as displays
    from .docs import bp as docs
    from .find import bp as find
    from .forms import LogoutForm
    from .my_series import bp as my_series
    from .reservation import bp as reservations
    from .reservation import cancelled_words
    from .series_words import counts_words, held_words, pattern_words
    from .teacher import bp as teacher
    from .unsubscribe import bp as unsubscribe

    # The cookie names a browser session, not the account: Flask-Login keeps what this method
    # returns where it would keep get_id(), which stays the account's identity for ==.
    login_manager.id_attribute = "get_browser_session_token"
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Sign in to continue."
    app.register_blueprint(account)
    app.register_blueprint(admin)
    sections = (admin_accounts, admin_approvals, admin_facilities, admin_reports, admin_settings)
    for section in sections:
        app.register_blueprint(section.bp)
    app.register_blueprint(admin_displays)
    app.register_blueprint(admin_timetable)
    app.register_blueprint(admin_webhooks)
    app.register_blueprint(auth)
    app.register_blueprint(check_in)
    app.register_blueprint(displays)
    app.register_blueprint(calendar)
    app.register_blueprint(docs)
    app.register_blueprint(unsubscribe)

    @app.errorhandler(Forbidden)
    def forbidden(exc):
        return render_template("errors/403.html", capability=exc.capability), 403

    app.register_blueprint(teacher)
    app.register_blueprint(my_series)
    app.register_blueprint(reservations)
    app.register_blueprint(find)

    app.add_template_global(cell_html)
    app.add_template_global(grid_rows)
    app.add_template_global(week_label)
    app.add_template_global(held_words)
    app.add_template_global(pattern_words)
    app.add_template_global(counts_words)
    app.add_template_global(cancelled_words)

    @app.template_filter("weekday_date")
    def weekday_date(iso_date):
        """'2026-12-04' as 'Fri 4 Dec', the way the pages write dates."""
        return date.fromisoformat(iso_date).strftime("%a %-d %b")

    @app.context_processor
    def page_globals():
        return {
            "logout_form": LogoutForm(),
            "actor": current_actor() if current_user.is_authenticated else None,
            "book_url": url_for("teacher.booking_form"),
        }
