"""QR codes as inline SVG: a phone's camera opens the address without anyone typing it."""

from functools import lru_cache

import segno
from markupsafe import Markup


@lru_cache(maxsize=256)  # a door display asks for the same code at every poll
def qr_svg(url, title):
    """The QR code of ``url`` as an ``<svg>`` element that scales to its box, with
    ``title`` as its accessible name."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        border=2, dark="#000", light="#fff", omitsize=True, title=title, svgclass="qr"
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))
