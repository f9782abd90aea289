"""``GET /v1/openapi.json``: the API's OpenAPI 3.1 document, written by hand in openapi.yaml."""

import functools
from pathlib import Path

import yaml
from flask import current_app

from .blueprint import bp

DOCUMENT = Path(__file__).with_name("openapi.yaml")


@functools.cache
def openapi_document():
    """The document as a dict, read once per process (the YAML's anchors resolved)."""
    with DOCUMENT.open(encoding="utf-8") as file:
        return yaml.safe_load(file)


@bp.get("/openapi.json")
def openapi_json():
    """Serve the OpenAPI document; it is public, like the reference it describes."""
    response = current_app.json.response(openapi_document())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
