"""Keyset pagination behind the list envelope ``{"data", "has_more", "next_cursor"}``."""

import base64
import binascii
import json

from sqlalchemy import literal, tuple_

from ..errors import ValidationError
from ..extensions import db


def paginate(query, keys, page, descending=False):
    """Run ``query`` for one page, ordered by ``keys`` (unique together, the last the id).

    ``keys`` pairs each column with the function that parses its cursor value (``int``,
    ``date.fromisoformat``). The cursor is the last row's key values, so pages stay stable
    while rows are added. ``descending`` lists the newest first.
    """
    parsers = [parse for _, parse in keys]
    keys = [column for column, _ in keys]
    if page.cursor:
        values = _decode(page.cursor, parsers)
        row, last = (
            tuple_(*keys),
            tuple_(*(literal(v, type_=k.type) for k, v in zip(keys, values, strict=True))),
        )
        query = query.where(row < last if descending else row > last)
    order = [k.desc() for k in keys] if descending else keys
    rows = db.session.scalars(query.order_by(*order).limit(page.limit + 1)).all()
    has_more = len(rows) > page.limit
    rows = rows[: page.limit]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = _encode([_json_value(getattr(last, k.key)) for k in keys])
    return rows, has_more, next_cursor


def envelope(data, has_more, next_cursor):
    return {"data": data, "has_more": has_more, "next_cursor": next_cursor}


def cursor_int(value):
    """An integer key from a cursor; anything a database integer cannot hold is refused."""
    if not isinstance(value, int) or isinstance(value, bool) or not -(2**63) <= value < 2**63:
        raise ValueError(value)
    return value


def cursor_text(value):
    if not isinstance(value, str) or "\x00" in value:
        raise ValueError(value)
    return value


def _json_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def _encode(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def _decode(cursor, parsers):
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if isinstance(values, list) and len(values) == len(parsers):
            return [parse(value) for parse, value in zip(parsers, values, strict=True)]
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        pass
    raise ValidationError({"cursor": "Not a cursor from this list; start again without it."})
