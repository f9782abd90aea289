"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1 and a free port, keeping every
message it accepts, parsed. It can stop and start again on the same port (a mail server
that is down, then back), refuse recipients for good, or ask for a login."""

import email
import socket
import time
from dataclasses import dataclass, field
from email import policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


@dataclass
class Arrival:
    """One message as the server got it: the envelope, and the message parsed."""

    mail_from: str
    rcpt_tos: list
    message: email.message.EmailMessage
    raw: bytes

    @property
    def to(self):
        return self.message["To"].addresses[0].addr_spec

    def part(self, content_type):
        """The decoded body of the message's part of ``content_type``."""
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return part.get_content()
        raise AssertionError(f"no {content_type} part in {self.message['Subject']!r}")

    @property
    def text(self):
        return self.part("text/plain")

    @property
    def html(self):
        return self.part("text/html")


@dataclass
class Handler:
    arrivals: list
    refuse: set = field(default_factory=set)  # recipients answered 550

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=policy.default)
        self.arrivals.append(Arrival(envelope.mail_from, list(envelope.rcpt_tos), message, raw))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start with ``start()``; ``config`` points RoomLoop at it."""

    def __init__(self, login=None):
        self.arrivals = []
        self.handler = Handler(self.arrivals)
        self.login = login  # (username, password) the server requires, or None
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.controller = None

    @property
    def config(self):
        config = {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": self.port, "MAIL_USE_TLS": False}
        if self.login:
            config |= {"MAIL_USERNAME": self.login[0], "MAIL_PASSWORD": self.login[1]}
        return config

    def start(self):
        extra = {}
        if self.login:
            extra = {
                "auth_required": True,
                "auth_require_tls": False,  # a test on 127.0.0.1: no certificate to check
                "authenticator": self._authenticate,
            }
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **extra)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
            time.sleep(0.05)  # the port is free once the loop has closed it

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        wanted = tuple(x.encode() for x in self.login)
        return AuthResult(success=(auth_data.login, auth_data.password) == wanted)

    def to(self, address):
        """The messages that arrived for ``address``, in order."""
        return [a for a in self.arrivals if address in a.rcpt_tos]

    def wait_for(self, count, timeout=10):
        """Wait until ``count`` messages have arrived (a sender thread sends them); return
        them."""
        deadline = time.monotonic() + timeout
        while len(self.arrivals) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.arrivals) >= count, f"{len(self.arrivals)} of {count} arrived"
        return list(self.arrivals)
