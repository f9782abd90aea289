"""Domain errors. Each carries what went wrong; ``api/errors.py`` decides its HTTP meaning once."""


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """Input failed validation; ``fields`` maps each bad field to what is wrong with it."""

    def __init__(self, fields, message="The request has invalid fields."):
        super().__init__(message)
        self.fields = fields


class NotFound(DomainError):
    def __init__(self, resource, public_id):
        super().__init__(f"No {resource} with id {public_id!r}.")


class Forbidden(DomainError):
    """The actor lacks ``capability``."""

    def __init__(self, capability, message=None):
        super().__init__(message or f"Your role or key lacks the {capability!r} capability.")
        self.capability = capability


class CheckInRefused(DomainError):
    """A check-in the booking's state does not allow; ``reason`` says which: ``released``
    (nobody checked in in time), ``cancelled``, ``pending``, ``not_open`` or ``closed``."""

    def __init__(self, reason, message):
        super().__init__(message)
        self.reason = reason


class ImportRejected(ValidationError):
    """An uploaded file was refused and nothing was written; ``rows`` lists the bad rows by
    line (``{"line", "field", "message"}``), empty when the file as a whole was unreadable."""

    def __init__(self, fields, rows=(), message="The file was refused; nothing was imported."):
        super().__init__(fields, message)
        self.rows = list(rows)
