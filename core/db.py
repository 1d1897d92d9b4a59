"""Database base class, naming convention, column mixins and engine tuning."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from flask import has_request_context
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Enum, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core import clock
from core.request_args import MAX_PAGE, int_arg

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def now_utc() -> datetime:
    """The current time, timezone-aware, in UTC (use as a callable default); asks `core.clock`."""
    return clock.now_utc()


class Base(DeclarativeBase):
    """Declarative base with the project's constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose `paginate` reads `?page=` / `?per_page=` within bounds.

    Flask-SQLAlchemy's own parsing accepts any integer, and an offset beyond 2**63 makes the database
    driver raise; here junk or out-of-range values mean the first page / the default size.
    """

    def paginate(self, select, *, page: int | None = None, per_page: int | None = None, **kwargs):
        if has_request_context():
            if page is None:
                page = int_arg("page", 1, minimum=1, maximum=MAX_PAGE)
            if per_page is None:
                per_page = int_arg("per_page", 20, minimum=1, maximum=kwargs.get("max_per_page") or 100)
        return super().paginate(select, page=page, per_page=per_page, **kwargs)


db = _SQLAlchemy(model_class=Base)


def enum_column(enum_cls: type[enum.Enum], name: str, **kwargs):
    """A named, CHECK-constrained string column for an enum (portable across SQLite and PostgreSQL)."""
    return mapped_column(
        Enum(enum_cls, name=name, native_enum=False, create_constraint=True, length=32,
             values_callable=lambda e: [m.value for m in e], validate_strings=True),
        **kwargs,
    )


class TimestampMixin:
    """created_at / updated_at columns maintained automatically."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=now_utc, onupdate=now_utc, nullable=False
    )


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: read them as UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@event.listens_for(Engine, "connect")
def _tune_sqlite(dbapi_connection, _record) -> None:
    """WAL, busy timeout and foreign keys for SQLite connections only."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
