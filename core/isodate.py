"""The one way a date, a time or an enum value is written in JSON (API bodies, list snapshots, audit)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from core.db import as_utc


def iso(value):
    """ISO 8601 for dates and times (times in UTC, naive ones read as UTC), an enum's value, else unchanged."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value
