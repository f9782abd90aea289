"""Fingerprinted static URLs: cached for a year by browsers, changed when the file changes.

``url_for("static", filename=...)`` gains ``?v=<hash of the file's content>``, so every
template (the door display's too) gets a URL that is new whenever the file is, and a
browser can keep the file without asking again. The hashes are taken once when the app
starts: a deployment restarts it. A URL without the current hash (typed in, or from a page
built before a deployment) still works, and is checked again on every use.
"""

import hashlib
import os

from flask import request

FOREVER = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
FINGERPRINT_LENGTH = 12


def fingerprint_files(folder):
    """Map each file's path under ``folder`` (with ``/``) to a short hash of its content."""
    fingerprints = {}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as file:
                digest = hashlib.sha256(file.read()).hexdigest()[:FINGERPRINT_LENGTH]
            fingerprints[os.path.relpath(path, folder).replace(os.sep, "/")] = digest
    return fingerprints


def init_app(app):
    fingerprints = fingerprint_files(app.static_folder)
    app.extensions["static_fingerprints"] = fingerprints

    @app.url_defaults
    def add_fingerprint(endpoint, values):
        if endpoint == "static" and "v" not in values:
            fingerprint = fingerprints.get(values.get("filename"))
            if fingerprint:
                values["v"] = fingerprint

    @app.after_request
    def cache_static_files(response):
        if request.endpoint == "static" and response.status_code in (200, 304):
            current = fingerprints.get((request.view_args or {}).get("filename"))
            fresh = current is not None and request.args.get("v") == current
            response.headers["Cache-Control"] = FOREVER if fresh else REVALIDATE
        return response
