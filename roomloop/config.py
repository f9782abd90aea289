"""Configuration: defaults, ``ROOMLOOP_*`` environment variables, production checks."""

import os
from email.utils import parseaddr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_SECRET_KEY = "dev-insecure-change-me"
MIN_SECRET_KEY_LENGTH = 32
MAKE_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
# Taken as text whatever they look like: Flask reads a variable that parses as JSON as
# such, so a secret key of digits would become a number.
TEXT_SETTINGS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "SERVER_NAME",
    "TIMEZONE",
    "GOOGLE_CLIENT_ID",
    "GOOGLE_CLIENT_SECRET",
    "GOOGLE_METADATA_URL",
    "ALLOWED_DOMAINS",
    "RATELIMIT_STORAGE_URI",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_FROM",
    "MAIL_FOLDER",
)


class ConfigError(RuntimeError):
    """The configuration cannot run safely; the message says what to change."""


DEFAULTS = {
    "ENV": "development",
    "SECRET_KEY": DEFAULT_SECRET_KEY,
    "DATABASE_URL": None,  # None: SQLite at instance/roomloop.db
    "TIMEZONE": "UTC",
    "DEV_LOGIN": False,
    "ENFORCE_HTTPS": None,  # None: on in production, off in development
    "TRUSTED_PROXIES": 0,  # reverse proxies in front whose X-Forwarded-* headers are believed
    "SERVER_NAME": None,  # the public host (and port), for redirects and links; Flask's own
    "RATE_LIMIT": "120/minute",
    "AUTH_RATE_LIMIT": "10/minute",
    "CALENDAR_RATE_LIMIT": "300/minute",  # personal feed fetches per client address
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_HEADER_LIMIT": "RateLimit-Limit",
    "RATELIMIT_HEADER_REMAINING": "RateLimit-Remaining",
    "RATELIMIT_HEADER_RESET": "RateLimit-Reset",
    "RATELIMIT_HEADER_RETRY_AFTER": "Retry-After",
    "ALLOWED_DOMAINS": "",
    "GOOGLE_CLIENT_ID": None,
    "GOOGLE_CLIENT_SECRET": None,
    "GOOGLE_METADATA_URL": "https://accounts.google.com/.well-known/openid-configuration",
    "SESSION_TOKEN_HOURS": 12,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "MAX_CONTENT_LENGTH": 10 * 1024 * 1024,
    "LOG_FORMAT": None,  # "json" lines or "text"; None: json in production, text otherwise
    "LOG_LEVEL": "INFO",
    # Webhooks. WEBHOOK_SENDER: "thread" sends from a thread in each web process (the
    # embedded default); "process" leaves it to `flask deliver-webhooks` (production).
    "WEBHOOK_SENDER": None,  # None: "thread" in development, "process" in production
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": None,  # None: allowed in development only
    "WEBHOOK_TIMEOUT": 10,  # seconds a receiver has to answer
    "WEBHOOK_RETRY_DELAYS": [5, 300, 1800, 7200, 18000, 36000, 86400],  # seconds, then failed
    "WEBHOOK_BATCH": 10,  # deliveries a sender claims at a time
    "WEBHOOK_POLL_SECONDS": 2.0,
    # How often the sender runs its other jobs (releasing bookings nobody checked in).
    "BACKGROUND_TASK_SECONDS": 15.0,
    "WEBHOOK_SECRET_GRACE_HOURS": 24,  # the previous secret still signs this long after rotation
    # Email, sent by the same sender. No MAIL_SERVER: each message is written to MAIL_FOLDER
    # (instance/mail/ by default) as a .eml file and logged, so the demo shows what it sends.
    "MAIL_SERVER": None,
    "MAIL_PORT": None,  # None: 465 with MAIL_USE_SSL, else 587
    "MAIL_USE_TLS": None,  # STARTTLS; None: on unless MAIL_USE_SSL
    "MAIL_USE_SSL": False,  # TLS from the first byte (port 465)
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_FROM": "RoomLoop <roomloop@localhost>",
    "MAIL_FOLDER": None,  # None: instance/mail
    "MAIL_TIMEOUT": 30,  # seconds the mail server has to answer each command
    "MAIL_RETRY_DELAYS": [60, 300, 1800, 7200, 21600, 86400],  # seconds, then failed
    "MAIL_BATCH": 20,  # messages a sender claims at a time
}
MAIL_PORTS = {"ssl": 465, "starttls": 587}


def load_config(app, test_config=None):
    """Fill ``app.config`` from defaults, the environment and ``test_config``, then check it."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("ROOMLOOP")
    for name in TEXT_SETTINGS:
        if f"ROOMLOOP_{name}" in os.environ:
            app.config[name] = os.environ[f"ROOMLOOP_{name}"]
    if test_config:
        app.config.from_mapping(test_config)

    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"] or (
            "sqlite:///" + os.path.join(app.instance_path, "roomloop.db")
        )
    production = app.config["ENV"] == "production"
    if app.config["LOG_FORMAT"] is None:
        app.config["LOG_FORMAT"] = "json" if production else "text"
    if app.config["WEBHOOK_SENDER"] is None:
        app.config["WEBHOOK_SENDER"] = "process" if production else "thread"
    if app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] is None:
        app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"] = not production
    if app.config["MAIL_USE_TLS"] is None:
        app.config["MAIL_USE_TLS"] = not app.config["MAIL_USE_SSL"]
    if app.config["MAIL_PORT"] is None:
        app.config["MAIL_PORT"] = MAIL_PORTS["ssl" if app.config["MAIL_USE_SSL"] else "starttls"]
    if app.config["MAIL_FOLDER"] is None:
        app.config["MAIL_FOLDER"] = os.path.join(app.instance_path, "mail")
    if app.config["ENFORCE_HTTPS"] is None:
        app.config["ENFORCE_HTTPS"] = app.config["ENV"] == "production"
    # Cookies travel only over HTTPS wherever HTTPS is enforced.
    app.config["SESSION_COOKIE_SECURE"] = app.config["REMEMBER_COOKIE_SECURE"] = bool(
        app.config["ENFORCE_HTTPS"]
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
    if config["LOG_FORMAT"] not in ("json", "text"):
        raise ConfigError(
            f"ROOMLOOP_LOG_FORMAT must be 'json' or 'text', not {config['LOG_FORMAT']!r}."
        )
    if config["WEBHOOK_SENDER"] not in ("thread", "process"):
        raise ConfigError(
            "ROOMLOOP_WEBHOOK_SENDER must be 'thread' (in each web process) or 'process' "
            f"(run `flask deliver-webhooks`), not {config['WEBHOOK_SENDER']!r}."
        )
    for name in ("WEBHOOK_RETRY_DELAYS", "MAIL_RETRY_DELAYS"):
        delays = config[name]
        if not isinstance(delays, list) or not all(
            isinstance(d, int | float) and not isinstance(d, bool) and d >= 0 for d in delays
        ):
            raise ConfigError(
                f"ROOMLOOP_{name} must be a JSON list of seconds, e.g. [5, 300, 1800]."
            )
    check_mail(config)
    if config["ENV"] == "production":
        check_secret_key(config["SECRET_KEY"])
        if int(config["TRUSTED_PROXIES"]) and not config["SERVER_NAME"]:
            raise ConfigError(
                "Behind a proxy (ROOMLOOP_TRUSTED_PROXIES) RoomLoop would take its host name "
                "from X-Forwarded-Host, which a client can send; set ROOMLOOP_SERVER_NAME to "
                "the public host name, e.g. rooms.school.example."
            )
        if config["DEV_LOGIN"]:
            raise ConfigError(
                "ROOMLOOP_DEV_LOGIN lets anyone sign in as anyone and is refused when "
                "ROOMLOOP_ENV=production; unset it."
            )
        if config["MAIL_SERVER"] and not config["SERVER_NAME"]:
            raise ConfigError(
                "Emails link to RoomLoop (the Notifications page, unsubscribe), and a link "
                "needs the public host name: set ROOMLOOP_SERVER_NAME, e.g. "
                "rooms.school.example."
            )


def check_mail(config):
    """The mail settings make sense together; no refusal repeats the username or password."""
    if config["MAIL_USE_TLS"] and config["MAIL_USE_SSL"]:
        raise ConfigError(
            "ROOMLOOP_MAIL_USE_TLS (STARTTLS, usually port 587) and ROOMLOOP_MAIL_USE_SSL "
            "(TLS from the start, usually port 465) exclude each other; set one."
        )
    port = config["MAIL_PORT"]
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigError(f"ROOMLOOP_MAIL_PORT must be a port number (1-65535), not {port!r}.")
    if bool(config["MAIL_USERNAME"]) != bool(config["MAIL_PASSWORD"]):
        raise ConfigError(
            "Set ROOMLOOP_MAIL_USERNAME and ROOMLOOP_MAIL_PASSWORD together, or neither."
        )
    if "@" not in parseaddr(config["MAIL_FROM"] or "")[1]:
        raise ConfigError(
            "ROOMLOOP_MAIL_FROM must be an address, e.g. 'RoomLoop <rooms@school.example>', "
            f"not {config['MAIL_FROM']!r}."
        )


def check_secret_key(key):
    """Production's secret key signs every session: its own, long, and not just digits."""
    if key in (DEFAULT_SECRET_KEY, "", None):
        problem = "needs its own ROOMLOOP_SECRET_KEY"
    elif not isinstance(key, str) or len(key.strip()) < MIN_SECRET_KEY_LENGTH:
        problem = f"needs a ROOMLOOP_SECRET_KEY of at least {MIN_SECRET_KEY_LENGTH} characters"
    elif key.isdigit():
        problem = "needs a ROOMLOOP_SECRET_KEY that is more than digits"
    else:
        return
    raise ConfigError(f"ROOMLOOP_ENV=production {problem}; generate one with: {MAKE_SECRET_KEY}")
