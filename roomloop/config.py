"""Configuration: defaults, ``ROOMLOOP_*`` environment variables, production checks."""

import os

DEFAULT_SECRET_KEY = "dev-insecure-change-me"


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to change."""


DEFAULTS = {
    "ENV": "development",
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    "DATABASE_URL": None,  # None: SQLite at instance/roomloop.db
    "TIMEZONE": "UTC",
    "DEV_LOGIN": False,
    "ENFORCE_HTTPS": None,  # None: on in production, off in development
    "RATE_LIMIT": "120/minute",
    "AUTH_RATE_LIMIT": "10/minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    "ALLOWED_DOMAINS": "",
    "GOOGLE_CLIENT_ID": None,
    "GOOGLE_CLIENT_SECRET": None,
    "GOOGLE_METADATA_URL": "https://accounts.google.com/.well-known/openid-configuration",
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
}


def load_config(app, test_config=None):
    """Fill ``app.config`` from defaults, the environment and ``test_config``, then check it."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("ROOMLOOP")
    if test_config:
        app.config.from_mapping(test_config)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
            "sqlite:///" + os.path.join(app.instance_path, "roomloop.db")
        )
    if app.config["ENFORCE_HTTPS"] is None:
        app.config["ENFORCE_HTTPS"] = app.config["ENV"] == "production"
    check_config(app.config)


def check_config(config):
    """Refuse settings that are unsafe or meaningless, with a message that says what to fix."""
    if config["ENV"] not in ("development", "production"):
        raise ConfigError(
            f"ROOMLOOP_ENV must be 'development' or 'production', not {config['ENV']!r}."
        )
    if config["ENV"] == "production":
        if config["SECRET_KEY"] in (DEFAULT_SECRET_KEY, "", None):
            raise ConfigError(
                "ROOMLOOP_ENV=production needs its own ROOMLOOP_SECRET_KEY; "
                'generate one with: python -c "import secrets; print(secrets.token_hex(32))"'
            )
        if config["DEV_LOGIN"]:
            raise ConfigError(
                "ROOMLOOP_DEV_LOGIN lets anyone sign in as anyone and is refused when "
                "ROOMLOOP_ENV=production; unset it."
            )
