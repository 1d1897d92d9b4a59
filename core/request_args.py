"""Bounded parsing of user-supplied numbers and dates in URLs and query strings.

Python integers are unbounded but database integers are not: comparing an INTEGER id column with
2**31 or more makes PostgreSQL raise "integer out of range" (SQLite gives up at 2**63): a 500.
Every integer taken from a URL goes through here:
- `BoundedIntConverter` replaces Flask's `int` URL converter app-wide, so `<int:id>` above the
  largest database integer is a 404 without touching a route;
- `int_arg` reads an integer query parameter (junk or out of range gives the default);
- `day_arg` reads a `YYYY-MM-DD` query parameter, clamped to years the application can compute with
  (`9999-12-31` plus a day would overflow `datetime`).
"""

from __future__ import annotations

import builtins
import re
from datetime import date

from flask import request
from werkzeug.routing import IntegerConverter

#: The largest PostgreSQL INTEGER, the type of every id and number column (SQLite's limit is 2**63-1).
MAX_DB_INT = 2**31 - 1
#: No list has this many pages; a larger page number is read as the first page.
MAX_PAGE = 100_000
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that matches only 0 .. MAX_DB_INT (larger numbers are a 404, not a database error)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002 (werkzeug's names)
                 max: int | None = None, signed: bool = False) -> None:
        bound = MAX_DB_INT if max is None else builtins.min(max, MAX_DB_INT)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


def parse_int(text: object, default: int | None = None, *, minimum: int = -MAX_DB_INT,
              maximum: int = MAX_DB_INT) -> int | None:
    """`text` as an integer within [minimum, maximum], else `default` (junk, huge or out of range)."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    elif isinstance(text, str) and _INTEGER.fullmatch(text.strip()):
        value = int(text.strip())
    else:
        return default
    return value if minimum <= value <= maximum else default


def int_arg(name: str, default: int | None = None, *, minimum: int = 0, maximum: int = MAX_DB_INT) -> int | None:
    """An integer query parameter of the current request within [minimum, maximum], else `default`."""
    return parse_int(request.args.get(name), default, minimum=minimum, maximum=maximum)


def parse_day(text: object) -> date | None:
    """A strict `YYYY-MM-DD` date clamped to FIRST_DAY .. LAST_DAY; None for junk."""
    if not isinstance(text, str) or not _ISO_DAY.fullmatch(text.strip()):
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return min(max(day, FIRST_DAY), LAST_DAY)


def day_arg(name: str) -> date | None:
    """A date query parameter of the current request (see `parse_day`)."""
    return parse_day(request.args.get(name))
