"""Per-account login throttling, stored in the database so that it holds across workers.

After LOGIN_FREE_ATTEMPTS failures in a row, each further failure locks the account's login for a delay
that doubles from LOGIN_BASE_DELAY_SECONDS up to LOGIN_MAX_DELAY_SECONDS (15 minutes): a guesser gets a
handful of tries an hour, and the owner is never locked out for longer than that cap. Identifiers that
match no account are throttled the same way (keyed by a blind index), so the answer never tells whether
an account exists. A successful login clears the counter; failures older than a day are forgotten.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import DateTime, Integer, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import blind_index
from core.db import as_utc, db, now_utc

FORGET_AFTER = timedelta(days=1)


class LoginThrottle(db.Model):
    """Consecutive failed logins for one account (or one unknown identifier)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_failure_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def key_for(identifier: str, user) -> str:
    """The throttle key: the account when one matches (email and phone share it), else the identifier."""
    if user is not None:
        return f"user:{user.id}"
    return blind_index(identifier or "", purpose="login-throttle")


def retry_at(key: str) -> datetime | None:
    """When the next attempt is allowed, if the key is locked now."""
    row = db.session.get(LoginThrottle, key)
    until = as_utc(row.locked_until) if row is not None else None
    return until if until is not None and until > now_utc() else None


def delay_after(failures: int) -> timedelta | None:
    """The lock that follows the given number of consecutive failures (None while attempts are free)."""
    free = current_app.config["LOGIN_FREE_ATTEMPTS"]
    if failures < free:
        return None
    base = current_app.config["LOGIN_BASE_DELAY_SECONDS"]
    seconds = min(base * 2 ** min(failures - free, 30), current_app.config["LOGIN_MAX_DELAY_SECONDS"])
    return timedelta(seconds=seconds)


def _row_for_update(key: str) -> LoginThrottle:
    row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = LoginThrottle(key=key, failures=0)
            db.session.add(row)
    except IntegrityError:  # another worker inserted it first
        row = db.session.scalar(select(LoginThrottle).where(LoginThrottle.key == key).with_for_update())
    return row


def record_failure(key: str) -> datetime | None:
    """Count a failed attempt; return when the next one is allowed if the key is now locked."""
    row = _row_for_update(key)
    now = now_utc()
    if row.last_failure_at is not None and now - as_utc(row.last_failure_at) > FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    delay = delay_after(row.failures)
    row.locked_until = now + delay if delay is not None else None
    db.session.flush()
    return row.locked_until


def clear(key: str) -> None:
    """Forget the failures after a successful login."""
    row = db.session.get(LoginThrottle, key)
    if row is not None:
        db.session.delete(row)
        db.session.flush()
