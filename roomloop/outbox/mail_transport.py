"""How an email leaves: over SMTP to the configured server, or with none into a folder.

With ``MAIL_SERVER`` set, a round of the sender opens one connection at its first message
(TLS from the start with ``MAIL_USE_SSL``, else STARTTLS with ``MAIL_USE_TLS``, then a login
with ``MAIL_USERNAME``), every command bounded by ``MAIL_TIMEOUT``. A server that cannot be
reached, or refuses the login, fails the rest of the round at once (each message is tried
again later) rather than costing a timeout per message. Without a server each message is
written to ``MAIL_FOLDER`` as ``<timestamp>-<id>.eml``, which ``make run`` shows.
"""

import os
import smtplib
import ssl
from contextlib import contextmanager, suppress

from ..models import utcnow


class Refused(Exception):
    """The server refused the message for good (5xx for its recipient or its content):
    sending it again would not help."""


@contextmanager
def mail_transport(config):
    """The way out for one round of the sender, closed after it."""
    transport = SmtpTransport(config) if config["MAIL_SERVER"] else FolderTransport(config)
    try:
        yield transport
    finally:
        transport.close()


class SmtpTransport:
    def __init__(self, config):
        self.config = config
        self.connection = None
        self.unreachable = None  # why this round could not connect: the rest fail alike

    def send(self, email, name):
        """Send ``email``; return where it went. Raises ``Refused``, or ``OSError`` /
        ``SMTPException`` when it may go later."""
        if self.unreachable is not None:
            raise self.unreachable
        if self.connection is None:
            try:
                self.connection = self._connect()
            except (OSError, smtplib.SMTPException) as exc:
                self.unreachable = exc
                raise
        try:
            self.connection.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:  # the connection is still good
            if all(code >= 500 for code, _ in exc.recipients.values()):
                raise Refused(describe(exc)) from exc
            raise
        except smtplib.SMTPDataError as exc:
            if exc.smtp_code >= 500:
                raise Refused(describe(exc)) from exc
            raise
        except (OSError, smtplib.SMTPException):
            self.close()  # in an unknown state: the next message starts afresh
            raise
        return f"sent via {self.config['MAIL_SERVER']}:{self.config['MAIL_PORT']}"

    def _connect(self):
        config = self.config
        host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
        # The name RoomLoop greets with; without one smtplib asks DNS, which can be slow.
        me = (config["SERVER_NAME"] or "").partition(":")[0] or None
        context = ssl.create_default_context()
        if config["MAIL_USE_SSL"]:
            connection = smtplib.SMTP_SSL(host, port, me, timeout=timeout, context=context)
        else:
            connection = smtplib.SMTP(host, port, me, timeout=timeout)
        try:
            if config["MAIL_USE_TLS"]:
                connection.starttls(context=context)
            if config["MAIL_USERNAME"]:
                connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        except BaseException:
            connection.close()
            raise
        return connection

    def close(self):
        if self.connection is not None:
            with suppress(OSError, smtplib.SMTPException):
                self.connection.quit()
            self.connection.close()
            self.connection = None


class FolderTransport:
    def __init__(self, config):
        self.folder = config["MAIL_FOLDER"]

    def send(self, email, name):
        """Write ``email`` to the folder as a .eml file (whole or not at all); return where."""
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, f"{utcnow():%Y%m%dT%H%M%S}-{name}.eml")
        partial = path + ".part"
        with open(partial, "wb") as file:
            file.write(email.as_bytes())
        os.replace(partial, path)
        return f"written to {path}"

    def close(self):
        pass


def describe(exc):
    """What went wrong, for the message's ``last_error``: the server's answer or the reason
    the connection failed (never the credentials, which no answer repeats)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, answer = next(iter(exc.recipients.values()))
        return f"The mail server refused the recipient: {code} {_text(answer)}"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"The mail server answered {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, TimeoutError):
        return "The mail server did not answer in time."
    if isinstance(exc, ssl.SSLError):
        return f"TLS with the mail server failed: {exc.reason or exc}."
    if isinstance(exc, OSError):
        return f"Could not connect to the mail server: {exc.strerror or exc}."
    return f"Sending failed: {type(exc).__name__}."


def _text(answer):
    return answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
