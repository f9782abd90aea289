"""Configuration from ROOMLOOP_* variables, and the refusals that keep production safe."""

import subprocess
import sys

import pytest

from roomloop import create_app
from roomloop.config import ConfigError

from conftest import REPO_ROOT


def app_from_env(env, monkeypatch):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app()


def test_environment_variables_configure_the_app(monkeypatch, tmp_path):
    """ROOMLOOP_DATABASE_URL and ROOMLOOP_TIMEZONE reach the app's configuration."""
    app = app_from_env(
        {
            "ROOMLOOP_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            "ROOMLOOP_TIMEZONE": "Europe/London",
        },
        monkeypatch,
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/x.db"
    assert app.config["TIMEZONE"] == "Europe/London"


def test_the_embedded_default_is_sqlite_in_the_instance_folder(monkeypatch):
    """With no database configured, RoomLoop uses instance/roomloop.db."""
    monkeypatch.delenv("ROOMLOOP_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/roomloop.db")


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"ROOMLOOP_ENV": "production"}, "ROOMLOOP_SECRET_KEY"),
        (
            {
                "ROOMLOOP_ENV": "production",
                "ROOMLOOP_SECRET_KEY": "s3cret-" * 6,
                "ROOMLOOP_DEV_LOGIN": "1",
            },
            "ROOMLOOP_DEV_LOGIN",
        ),
        ({"ROOMLOOP_ENV": "staging"}, "ROOMLOOP_ENV"),
        (
            {
                "ROOMLOOP_ENV": "production",
                "ROOMLOOP_SECRET_KEY": "s3cret-" * 6,
                "ROOMLOOP_MAIL_SERVER": "smtp-relay.gmail.com",
            },
            "ROOMLOOP_SERVER_NAME",
        ),
        ({"ROOMLOOP_TIMEZONE": "Mars/Olympus"}, "ROOMLOOP_TIMEZONE"),
    ],
)
def test_unsafe_or_wrong_settings_refuse_to_start(monkeypatch, env, words):
    """Production with the default key or dev login, or a wrong value, stops with a message."""
    with pytest.raises(ConfigError, match=words):
        app_from_env(env, monkeypatch)


@pytest.mark.parametrize("key", ["x", " ", " " * 40, "short-but-not-default", "1" * 40])
def test_production_refuses_a_weak_secret_key_and_says_how_to_make_one(monkeypatch, key):
    """A key under 32 characters, of blanks or only of digits signs nobody's session safely."""
    env = {"ROOMLOOP_ENV": "production", "ROOMLOOP_SECRET_KEY": key}
    with pytest.raises(ConfigError, match="ROOMLOOP_SECRET_KEY") as refusal:
        app_from_env(env, monkeypatch)
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in str(refusal.value)


def test_a_secret_key_of_digits_is_text(monkeypatch, tmp_path):
    """ROOMLOOP_SECRET_KEY=12345 is the text "12345", not a number that breaks every page."""
    app = app_from_env(
        {"ROOMLOOP_SECRET_KEY": "12345", "ROOMLOOP_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"},
        monkeypatch,
    )
    assert app.config["SECRET_KEY"] == "12345"
    with app.test_request_context():
        from flask import session

        session["probe"] = 1  # signing needs a text key
        assert app.session_interface.get_signing_serializer(app).dumps(dict(session))


def test_production_behind_a_proxy_needs_its_server_name(monkeypatch, tmp_path):
    """With trusted proxies the host would come from X-Forwarded-Host: production asks for
    ROOMLOOP_SERVER_NAME instead, and starts once it has it."""
    env = {
        "ROOMLOOP_ENV": "production",
        "ROOMLOOP_SECRET_KEY": "a-real-secret-" * 3,
        "ROOMLOOP_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "ROOMLOOP_TRUSTED_PROXIES": "1",
    }
    with pytest.raises(ConfigError, match="ROOMLOOP_SERVER_NAME"):
        app_from_env(env, monkeypatch)
    app = app_from_env({**env, "ROOMLOOP_SERVER_NAME": "rooms.school.example"}, monkeypatch)
    assert app.config["SERVER_NAME"] == "rooms.school.example"


def test_production_with_its_own_key_starts(monkeypatch, tmp_path):
    """Production starts when it has a secret key and dev login is off."""
    app = app_from_env(
        {
            "ROOMLOOP_ENV": "production",
            "ROOMLOOP_SECRET_KEY": "a-real-secret-" * 3,
            "ROOMLOOP_DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        },
        monkeypatch,
    )
    assert app.config["ENV"] == "production"


def test_the_command_line_reports_the_refusal():
    """`flask --app roomloop` in production with the default key exits with the message."""
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "roomloop", "db", "current"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "ROOMLOOP_ENV": "production"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "ROOMLOOP_SECRET_KEY" in result.stderr


def test_mail_settings_follow_tls_or_ssl_and_keep_secrets_as_text(monkeypatch):
    """STARTTLS on 587 unless told otherwise, TLS from the start on 465 with
    ROOMLOOP_MAIL_USE_SSL; a password of digits stays text."""
    env = {
        "ROOMLOOP_MAIL_SERVER": "smtp.example.org",
        "ROOMLOOP_MAIL_USERNAME": "rooms@school.example",
        "ROOMLOOP_MAIL_PASSWORD": "123456",
    }
    app = app_from_env(env, monkeypatch)
    assert (app.config["MAIL_PORT"], app.config["MAIL_USE_TLS"]) == (587, True)
    assert app.config["MAIL_PASSWORD"] == "123456"

    app = app_from_env({**env, "ROOMLOOP_MAIL_USE_SSL": "1"}, monkeypatch)
    assert (app.config["MAIL_PORT"], app.config["MAIL_USE_TLS"]) == (465, False)


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True}, "exclude each other"),
        ({"MAIL_PORT": 70000}, "ROOMLOOP_MAIL_PORT"),
        ({"MAIL_PORT": "587"}, "ROOMLOOP_MAIL_PORT"),
        ({"MAIL_USERNAME": "rooms@school.example"}, "ROOMLOOP_MAIL_PASSWORD"),
        ({"MAIL_FROM": "RoomLoop"}, "ROOMLOOP_MAIL_FROM"),
        ({"MAIL_RETRY_DELAYS": "soon"}, "ROOMLOOP_MAIL_RETRY_DELAYS"),
    ],
)
def test_mail_settings_that_make_no_sense_refuse_to_start(settings, words):
    with pytest.raises(ConfigError, match=words):
        create_app({"TESTING": True, "WEBHOOK_SENDER": "process", **settings})
