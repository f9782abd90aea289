"""The file of a CSV upload (``POST /v1/accounts/bulk``, ``POST /v1/series/bulk``): the
multipart field ``file``, refused with 413 past the import's own size limit."""

from flask import current_app, request

from ..errors import ValidationError
from .blueprint import bp
from .errors import error_response


class UploadTooLarge(Exception):
    def __init__(self, limit):
        super().__init__(limit)
        self.limit = limit


@bp.errorhandler(UploadTooLarge)
def upload_too_large(exc):
    return error_response(
        413,
        "payload_too_large",
        f"The file is larger than {exc.limit:,} bytes; split it into smaller files.",
        max_bytes=exc.limit,
    )


def uploaded_file(limit_setting, default_limit):
    """The uploaded file's bytes; at most the configured ``limit_setting`` of them."""
    limit = current_app.config.get(limit_setting, default_limit)
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError({"file": "Attach the CSV file as the multipart form field 'file'."})
    raw = upload.read(limit + 1)
    if len(raw) > limit:
        raise UploadTooLarge(limit)
    return raw
