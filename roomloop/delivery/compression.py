"""Response compression (gzip and brotli) with Flask-Compress, minus what must stream.

Flask-Compress compresses a streamed response too, chunk by chunk: the compressor holds
bytes back until it has enough, so a CSV or XLSX export would reach the browser in bursts
instead of row by row, and anything pushed as it happens would stall. Those responses are
left as they are written. Static files are streamed by Flask as well (a file wrapper), but
they are small and whole, so they are compressed on the way out.
"""

from flask import request
from flask_compress import Compress

compress = Compress()

# Streamed responses that are compressed all the same: files read from disk, never held open.
COMPRESSED_STREAM_ENDPOINTS = {"static"}

SETTINGS = {
    # HTML pages and fragments, the API's JSON, and the static CSS, JS and SVG. Calendar
    # feeds (text/calendar) are left alone: their ETag is their own, answered with a 304
    # before the feed is even read.
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ],
    # A body that fits in one TCP segment (about 1,400 bytes) arrives in one packet either
    # way: compressing it costs the server time and saves the client nothing (a booking's
    # answer is about 600 bytes).
    "COMPRESS_MIN_SIZE": 1400,
    # Brotli first for the browsers that take it (smaller), gzip for everyone else.
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
    # Registered below, so that streamed responses can be left out by endpoint.
    "COMPRESS_REGISTER": False,
    "COMPRESS_STREAMING_ENDPOINT_CONDITIONAL": sorted(COMPRESSED_STREAM_ENDPOINTS),
}


def init_app(app):
    for key, value in SETTINGS.items():
        app.config.setdefault(key, value)
    compress.init_app(app)

    @app.after_request
    def compress_response(response):
        if response.is_streamed and request.endpoint not in COMPRESSED_STREAM_ENDPOINTS:
            return response  # exports go out row by row as they are written
        return compress.after_request(response)
