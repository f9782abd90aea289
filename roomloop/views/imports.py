"""The check-then-confirm steps every CSV import page shares (accounts, the timetable).

Step 1 uploads a file and shows what importing it would do, or every error by line; nothing
is written. Step 2 imports it: the domain checks the whole file again and writes all of it
or nothing.

How the previewed file reaches the confirm step: the preview page carries the uploaded bytes,
zlib-compressed and base64-encoded, in a hidden field of the confirm form (CSRF-protected like
every form). Nothing is kept on the server between the two steps, so it works with any number
of workers and leaves no file behind when the admin walks away. The confirm step validates the
whole file again before writing anything, so an edited hidden field is no worse than uploading
another file, which the same admin may do anyway. The field must fit in one form field
(``MAX_FORM_MEMORY_SIZE``); a file too large for that is refused with a pointer to the API.
"""

import base64
import binascii
import zlib

from flask import current_app, render_template, request

from ..errors import ImportRejected
from ..extensions import db, htmx
from . import current_actor
from .forms import ImportConfirmForm, ImportUploadForm

DEFAULT_FORM_MEMORY = 500_000  # Flask's default MAX_FORM_MEMORY_SIZE
PREVIEW_ROWS = 500  # a preview lists this many rows; the counts cover every row


class CsvImportSteps:
    """One import's two steps: ``importer(actor, raw_bytes, dry_run)`` does the work and
    raises ``ImportRejected``; ``template`` renders every step of its page."""

    def __init__(self, template, importer, limit_setting, default_limit, api_path):
        self.template = template
        self.importer = importer
        self.limit_setting = limit_setting
        self.default_limit = default_limit
        self.api_path = api_path  # where a file too large for the confirm form can go

    def upload(self):
        """Step 1: check the uploaded file and preview it; nothing is written."""
        form = ImportUploadForm()
        if not form.validate_on_submit():
            return self.render(form, status=400 if form.is_submitted() else 200)
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self.render(form, error="Choose a CSV file to upload.", status=400)
        limit = self.limit()
        raw = upload.read(limit + 1)
        if len(raw) > limit:
            message = f"The file is larger than {limit:,} bytes; split it into smaller files."
            return self.render(form, error=message, status=413)
        filename = upload.filename
        try:
            preview = self.importer(current_actor(), raw, dry_run=True)
        except ImportRejected as exc:
            db.session.rollback()
            return self.render(form, rejected=exc, filename=filename, status=400)
        content = carry(raw)
        if len(content) > _form_memory():
            message = (
                "The file is valid but too large to confirm from this page; split it into "
                f"smaller files, or upload it with {self.api_path}."
            )
            return self.render(form, error=message, preview=preview, filename=filename, status=413)
        confirm = ImportConfirmForm(formdata=None, content=content, filename=filename)
        return self.render(form, preview=preview, confirm=confirm, filename=filename)

    def confirm(self):
        """Step 2: import the previewed file, checked again whole before anything is written."""
        form = ImportConfirmForm()
        upload_form = ImportUploadForm(formdata=None)
        if not form.validate_on_submit():
            return self.render(upload_form, status=400)
        raw = uncarry(form.content.data or "")
        if raw is None or len(raw) > self.limit():
            message = "The previewed file was lost on the way; upload it again."
            return self.render(upload_form, error=message, status=400)
        filename = form.filename.data or ""
        try:
            result = self.importer(current_actor(), raw, dry_run=False)
        except ImportRejected as exc:  # what the file refers to changed since the preview
            db.session.rollback()
            return self.render(upload_form, rejected=exc, filename=filename, status=400)
        return self.render(upload_form, result=result, filename=filename)

    def render(self, form=None, status=200, **context):
        context.setdefault("preview_rows", PREVIEW_ROWS)
        form = form or ImportUploadForm(formdata=None)
        page = render_template(self.template, form=form, **context)
        # htmx swaps only 2xx answers: it takes #import-step from the page, refusals included.
        return page, 200 if htmx else status

    def limit(self):
        return current_app.config.get(self.limit_setting, self.default_limit)


def carry(raw):
    """The file's bytes as hidden-field text: compressed (CSV shrinks a lot), then base64."""
    return base64.b64encode(zlib.compress(raw, 6)).decode("ascii")


def uncarry(text, limit=10 * 1024 * 1024):
    """``carry`` undone, or ``None`` for text it did not write (never more than ``limit``)."""
    try:
        inflater = zlib.decompressobj()
        raw = inflater.decompress(base64.b64decode(text.encode("ascii"), validate=True), limit)
    except (binascii.Error, UnicodeEncodeError, zlib.error, ValueError):
        return None
    if inflater.unconsumed_tail or not inflater.eof:
        return None
    return raw


def _form_memory():
    return current_app.config.get("MAX_FORM_MEMORY_SIZE") or DEFAULT_FORM_MEMORY
