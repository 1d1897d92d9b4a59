"""The one clock of the application: the current instant in UTC and today's date in Asia/Shanghai.

Every rule that depends on "now" or "today" (certificate expiry, deadlines, subsidy periods) asks this
module, never `date.today()` or a naive `datetime.now()`, whose answer depends on the server's zone.
Tests move time by monkeypatching `core.clock.now_utc`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

#: China has had no daylight saving time since 1991.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def now_utc() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def today_shanghai() -> date:
    """Today's calendar date in Asia/Shanghai (the date every business rule uses)."""
    return now_utc().astimezone(SHANGHAI).date()


def to_shanghai(moment: datetime) -> datetime:
    """An instant in Asia/Shanghai (a naive value, as SQLite returns them, is read as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI)
