"""Configuration: defaults, ``ROOMLOOP_*`` environment variables, production checks."""

import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SECRET_KEY = "dev-insecure-change-me"


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to change."""


DEFAULTS = {
    "ENV": "development",
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    "DATABASE_URL": None,  # None: SQLite at instance/roomloop.db
    "TIMEZONE": "UTC",
    "DEV_LOGIN": False,
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
    check_config(app.config)


def check_config(config):
    """Refuse settings that are unsafe or meaningless, with a message that says what to fix."""
    if config["ENV"] not in ("development", "production"):
        raise ConfigError(
            f"ROOMLOOP_ENV must be 'development' or 'production', not {config['ENV']!r}."
        )
    try:
        ZoneInfo(config["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"ROOMLOOP_TIMEZONE {config['TIMEZONE']!r} is not a time zone; "
            "use a name such as 'Europe/London' or 'America/New_York'."
        ) from None
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
