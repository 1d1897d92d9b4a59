"""Append-only, hash-chained audit log (SPEC section 8)."""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import as_utc, db, now_utc
from core.isodate import iso

GENESIS_HASH = "0" * 64


class AuditEntry(db.Model):
    """One recorded change: who, when, what, before, after, why; chained by hashes."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    #: The actor as shown at the time (kept even if the account changes), or "system".
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target_type: Mapped[str | None] = mapped_column(String(80), index=True)
    target_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)
    reason: Mapped[str | None] = mapped_column(Text)
    #: Hash of the previous entry (unique: the chain can never fork).
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    actor = relationship("User")

    def compute_hash(self) -> str:
        payload = {
            "at": as_utc(self.at).isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
        }
        canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _jsonable(value):
    if isinstance(value, (enum.Enum, date)):
        return iso(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def _lock_chain() -> None:
    """Serialise writers of the chain (PostgreSQL); SQLite serialises writes itself."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(715517)"))


def record(actor, action: str, target=None, changes: dict | None = None, *, reason: str | None = None,
           extra: dict | None = None) -> AuditEntry:
    """Append an audit entry in the current transaction.

    `changes` maps a field to a (before, after) pair; `extra` adds context to `after` only.
    `actor` is a User or None for the system (scheduled jobs).
    """
    changes = changes or {}
    before = {k: _jsonable(v[0]) for k, v in changes.items()}
    after = {k: _jsonable(v[1]) for k, v in changes.items()}
    after.update(_jsonable(extra or {}))
    _lock_chain()
    last = db.session.execute(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    entry = AuditEntry(
        at=now_utc(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "login_label", None) or "system",
        action=action,
        target_type=type(target).__name__ if target is not None else None,
        target_id=str(getattr(target, "id", "")) if target is not None else None,
        before=before,
        after=after,
        reason=reason,
        prev_hash=last or GENESIS_HASH,
    )
    entry.hash = entry.compute_hash()
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class VerifyResult:
    """Outcome of a chain verification."""

    ok: bool
    checked: int
    bad_entry_id: int | None = None
    problem: str | None = None


def verify_chain(batch: int = 5000) -> VerifyResult:
    """Walk the whole chain in id order; report the first entry that was edited or follows a gap."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return VerifyResult(True, checked)
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return VerifyResult(False, checked, entry.id, "previous entry missing or altered")
            if entry.compute_hash() != entry.hash:
                return VerifyResult(False, checked, entry.id, "entry content altered")
            expected_prev = entry.hash
            checked += 1
            last_id = entry.id
        db.session.expunge_all()
