"""The stub's own database: engine, tables and object helpers, separate from the app's database."""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from payments.stub.errors import invalid, missing
from payments.stub.params import get_int, get_str

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_ROOT / 'instance' / 'stripe_stub.sqlite3'}"
_ALPHABET = string.ascii_letters + string.digits

metadata = MetaData()

#: Every API object (payment intents, charges, refunds, sessions, events, endpoints) as a JSON document.
objects = Table(
    "stub_objects",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(80), nullable=False, unique=True),
    Column("type", String(40), nullable=False),
    #: The object this one belongs to (payment intent of a charge or refund, subject of an event).
    Column("ref", String(80), index=True),
    Column("event_type", String(64)),
    Column("created", Integer, nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_stub_objects_type_seq", "type", "seq"),
)

idempotency_keys = Table(
    "stub_idempotency_keys",
    metadata,
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    #: in_flight while the first request runs, done once its response is stored.
    Column("state", String(16), nullable=False),
    Column("status_code", Integer),
    Column("body", Text),
    Column("created_at", Float, nullable=False),
)

#: The stub's own settings that must outlive a restart (the generated secret of the configured endpoint).
settings = Table(
    "stub_settings",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

deliveries = Table(
    "stub_webhook_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(80), nullable=False, index=True),
    #: A WebhookEndpoint id, or "config" for the endpoint configured by STRIPE_STUB_WEBHOOK_URL.
    Column("endpoint_id", String(80), nullable=False),
    #: pending, succeeded, failed (gave up) or abandoned (endpoint gone).
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("last_status", Integer),
    Index("ix_stub_webhook_deliveries_due", "state", "next_attempt_at"),
)

attempts = Table(
    "stub_delivery_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "delivery_id",
        Integer,
        ForeignKey("stub_webhook_deliveries.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("attempted_at", Float, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),
    Column("duration_ms", Integer, nullable=False),
)


def make_engine(url: str) -> Engine:
    """Create the stub engine; SQLite gets WAL, a busy timeout and write-locking transactions."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////:memory"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    metadata.create_all(engine)
    try:
        scrub_card_numbers(engine)
    except IntegrityError:  # another process did it at the same moment
        pass
    return engine


def _sqlite_connect(dbapi_connection, _record) -> None:
    """Let SQLAlchemy, not pysqlite, open transactions, and tune the connection."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "busy_timeout=5000", "foreign_keys=ON", "synchronous=NORMAL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_begin(conn) -> None:
    """Take the write lock at the start so read-modify-write requests serialise across processes."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def stored_setting(engine: Engine, name: str, make: Callable[[], str]) -> str:
    """A setting kept in the stub's database, created by make() the first time (first writer wins)."""
    query = select(settings.c.value).where(settings.c.name == name)
    try:
        with engine.begin() as conn:
            value = conn.execute(query).scalar()
            if value is None:
                value = make()
                conn.execute(insert(settings).values(name=name, value=value))
            return value
    except IntegrityError:  # another process stored it first
        with engine.connect() as conn:
            return conn.execute(query).scalar_one()


def read_setting(conn: Connection, name: str) -> str | None:
    """A stored setting's value, or None."""
    return conn.execute(select(settings.c.value).where(settings.c.name == name)).scalar()


def write_setting(engine: Engine, name: str, value: str) -> None:
    """Store a setting, replacing its value (last writer wins)."""
    change = update(settings).where(settings.c.name == name).values(value=value)
    try:
        with engine.begin() as conn:
            if conn.execute(change).rowcount == 0:
                conn.execute(insert(settings).values(name=name, value=value))
    except IntegrityError:  # another process inserted it at the same moment
        with engine.begin() as conn:
            conn.execute(change)


def scrub_card_numbers(engine: Engine) -> None:
    """Once per database: drop the card numbers earlier versions kept (an intent's _card_number, and
    error bodies stored for idempotent replay that embedded it)."""
    done = select(settings.c.value).where(settings.c.name == "card_numbers_scrubbed")
    with engine.begin() as conn:
        if conn.execute(done).scalar() is not None:
            return
        rows = conn.execute(select(objects.c.id, objects.c.data).where(objects.c.type == "payment_intent"))
        for row in rows.all():
            if "_card_number" in row.data:
                data = {key: value for key, value in row.data.items() if key != "_card_number"}
                conn.execute(update(objects).where(objects.c.id == row.id).values(data=data))
        conn.execute(delete(idempotency_keys).where(idempotency_keys.c.body.contains("_card_number")))
        conn.execute(insert(settings).values(name="card_numbers_scrubbed", value="1"))


def now() -> int:
    """Unix time in whole seconds, as Stripe reports it."""
    return int(time.time())


def new_id(prefix: str, length: int = 24) -> str:
    """A random Stripe-style id such as pi_3Nq...; prefix includes the underscore."""
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def public(data: dict[str, Any]) -> dict[str, Any]:
    """The API view of a stored object: private keys (leading underscore) removed."""
    return {key: value for key, value in data.items() if not key.startswith("_")}


def insert_object(
    conn: Connection, data: dict[str, Any], *, ref: str | None = None, event_type: str | None = None
) -> dict[str, Any]:
    """Store a new object and return it."""
    conn.execute(
        insert(objects).values(
            id=data["id"],
            type=data["object"],
            ref=ref,
            event_type=event_type,
            created=data["created"],
            data=data,
        )
    )
    return data


def save_object(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    """Write back a changed object."""
    conn.execute(update(objects).where(objects.c.id == data["id"]).values(data=dict(data)))
    return data


def find_object(conn: Connection, type_: str, object_id: str, *, lock: bool = False) -> dict[str, Any] | None:
    """Load an object by id, or None; lock=True takes a row lock where the database has them."""
    query = select(objects.c.data).where(objects.c.id == object_id, objects.c.type == type_)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return dict(row.data) if row else None


def get_object(
    conn: Connection, type_: str, object_id: str, *, lock: bool = False, param: str = "id"
) -> dict[str, Any]:
    """Load an object by id or raise Stripe's resource_missing error."""
    data = find_object(conn, type_, object_id, lock=lock)
    if data is None:
        raise missing(type_, object_id, param)
    return data


def list_objects(conn: Connection, type_: str, params: dict[str, Any], url: str, *where) -> dict[str, Any]:
    """A Stripe list page, newest first, honouring limit, starting_after and ending_before."""
    limit = get_int(params, "limit", minimum=1, maximum=100) or 10
    after, before = get_str(params, "starting_after"), get_str(params, "ending_before")
    query = select(objects.c.data).where(objects.c.type == type_, *where)
    if after:
        query = query.where(objects.c.seq < _seq_of(conn, type_, after, "starting_after"))
    if before and not after:
        query = query.where(objects.c.seq > _seq_of(conn, type_, before, "ending_before"))
        query = query.order_by(objects.c.seq.asc())
    else:
        query = query.order_by(objects.c.seq.desc())
    rows = [row.data for row in conn.execute(query.limit(limit + 1))]
    has_more = len(rows) > limit
    rows = rows[:limit]
    if before and not after:
        rows.reverse()
    return {"object": "list", "url": url, "has_more": has_more, "data": [public(data) for data in rows]}


def _seq_of(conn: Connection, type_: str, object_id: str, param: str) -> int:
    """The position of a list cursor object, or a 400 when it does not exist."""
    seq = conn.execute(
        select(objects.c.seq).where(objects.c.id == object_id, objects.c.type == type_)
    ).scalar()
    if seq is None:
        raise invalid(f"No such {type_}: '{object_id}'", param=param, code="resource_missing")
    return seq
