"""A GET form's page (find, week view, reports), or only its region when htmx asks."""

from flask import render_template

from ..extensions import htmx


def page_or_region(template, partial, region, status, headers, **context):
    """The page, or only its ``region`` when htmx asks for it (a history restore, htmx with
    no target, gets the page). htmx swaps and restores only 2xx answers, so whatever htmx
    asks for comes back with its messages and a 200; ``status`` is for plain requests."""
    if htmx and htmx.target == region:
        return render_template(partial, **context), 200, headers
    return render_template(template, **context), 200 if htmx else status, headers
