"""RoomLoop: a school's facility reservation system."""

import os

from flask import Flask
from werkzeug.exceptions import HTTPException

from .config import load_config
from .extensions import csrf, db, htmx, login_manager, migrate, oauth
from .ratelimit import limiter

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


def create_app(test_config=None):
    """Build the application: configuration, extensions, blueprints, CLI."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    load_config(app, test_config)
    app.json.sort_keys = False  # keep resources in their documented field order
    app.json.ensure_ascii = False  # "10:00–10:50" reads as written, not as \u2013

    from . import (
        api,
        booking,
        cli,
        delivery,
        health,
        logs,
        models,  # noqa: F401  (for Alembic)
        outbox,
        security,
        views,
    )
    from .database import configure_engine
    from .sqlite import write_held_back
    from .views.errors import answer_http_error

    logs.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR)
    security.init_app(app)  # first: HTTPS is enforced before anything else runs
    login_manager.init_app(app)
    csrf.init_app(app)
    oauth.init_app(app)
    htmx.init_app(app)
    limiter.init_app(app)
    delivery.init_app(app)
    with app.app_context():
        configure_engine(db.engine)

    @app.teardown_request
    def end_transaction(_exc):
        # No request leaves a transaction (and on SQLite a write lock) open, even while its
        # app context lives on, as with a streamed response or a test's pushed context.
        db.session.rollback()
        write_held_back()

    outbox.init_app(app)
    outbox.add_task(app, booking.release_no_shows)
    outbox.add_task(app, booking.write_digests)
    app.register_blueprint(health.bp)
    api.init_app(app)
    views.init_app(app)
    # An HTTP error no view handled (an unknown address, an abort, a refused form token, an
    # unhandled exception): /v1 answers in its JSON envelope, a page with a page.
    app.register_error_handler(HTTPException, answer_http_error)
    cli.init_app(app)
    return app
