"""How responses travel: compressed with gzip or brotli (except what streams), and static
files under URLs fingerprinted by content so browsers keep them for a year.

Exports ``init_app`` (both) and ``fingerprint_files``.
"""

from . import compression, static_files
from .static_files import fingerprint_files

__all__ = ["fingerprint_files", "init_app"]


def init_app(app):
    compression.init_app(app)
    static_files.init_app(app)
