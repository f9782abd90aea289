"""The embedded default, with no mail server: each message becomes a .eml file under the
mail folder (``instance/mail/`` unless configured), and a log line says so; and the links
every email carries."""

import email
import logging
import re
from email import policy

import pytest

from roomloop import create_app
from roomloop.outbox import send_due_mail
from roomloop.outbox.mail_render import absolute_url

from mail_support import WED, ZONE, book, school

__all__ = ["school"]  # a fixture of mail_support.py


@pytest.fixture
def app_config(tmp_path):
    return ZONE | {"MAIL_FOLDER": str(tmp_path / "mail")}


def test_without_a_mail_server_each_message_is_a_eml_file_and_a_log_line(
    app, client, school, tmp_path, caplog
):
    book(client, school.keys["ada"], school.lab, WED)

    with caplog.at_level(logging.INFO, logger="roomloop.outbox.mail_sender"):
        assert send_due_mail() == 1
    assert send_due_mail() == 0

    [path] = (tmp_path / "mail").iterdir()
    assert re.fullmatch(r"\d{8}T\d{6}-eml_[0-9a-f]+\.eml", path.name)
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert str(message["To"]) == "Ada Park <ada@school.example>"
    assert message["Subject"].startswith("Booked: STEM Lab Alpha")
    assert "period 2 (10:00–10:50)" in message.get_body(("plain",)).get_content()
    assert "text/calendar" in [part.get_content_type() for part in message.walk()]
    [line] = [r.getMessage() for r in caplog.records if r.name.endswith("mail_sender")]
    assert line == f"email {path.stem.split('-')[1]} (confirmed) to ada@school.example: " + (
        f"written to {path}"
    )


def test_the_default_mail_folder_is_in_the_instance_folder():
    default = create_app({"TESTING": True, "MAIL_FOLDER": None, "WEBHOOK_SENDER": "process"})
    assert default.config["MAIL_FOLDER"] == f"{default.instance_path}/mail"


@pytest.mark.parametrize(
    ("config", "link"),
    [
        ({}, "http://127.0.0.1:5000/account/notifications"),
        (
            {"SERVER_NAME": "rooms.school.example"},
            "http://rooms.school.example/account/notifications",
        ),
    ],
)
def test_links_are_absolute_on_the_public_host_name(app, config, link):
    app.config.update(config)
    assert absolute_url("account.notifications") == link


def test_links_are_https_where_https_is_enforced(app):
    app.config.update(SERVER_NAME="rooms.school.example", ENFORCE_HTTPS=True)
    assert (
        absolute_url("unsubscribe.confirm", t="x") == "https://rooms.school.example/unsubscribe?t=x"
    )
