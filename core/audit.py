"""Append-only audit log, chained by HMAC-SHA256 keyed with AUDIT_KEY (SPEC section 8).

Each entry carries the keyed hash of the previous one, so an edited, inserted or removed entry breaks the
chain, and rewriting the chain needs the key. Removing the newest entries is caught by the head anchor
(core.audit_anchor), kept outside the table. UPDATE and DELETE on the table are refused by triggers
(APPEND_ONLY_DDL, created with the table and by the migration).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import DDL, JSON, DateTime, ForeignKey, String, Text, event, select, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import as_utc, db, now_utc
from core.isodate import iso

GENESIS_HASH = "0" * 64
#: Name of the session.info key holding the head written in the current transaction.
HEAD_INFO_KEY = "audit_head"


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

    def compute_hash(self, key: bytes) -> str:
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
        return hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()


def chain_key() -> bytes:
    """The HMAC key of the chain (AUDIT_KEY)."""
    return current_app.config["AUDIT_KEY"].encode("utf-8")


#: Triggers that make the table append-only (TRUNCATE stays possible on PostgreSQL, for maintenance).
APPEND_ONLY_DDL = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_entry_no_update BEFORE UPDATE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_entry_no_delete BEFORE DELETE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END $$",
        "DROP TRIGGER IF EXISTS audit_entry_no_update ON audit_entry",
        "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    ],
}
DROP_APPEND_ONLY_DDL = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_entry_no_update", "DROP TRIGGER IF EXISTS audit_entry_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_entry_no_update ON audit_entry",
                   "DROP FUNCTION IF EXISTS audit_entry_append_only()"],
}
for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(AuditEntry.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))


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
    entry.hash = entry.compute_hash(chain_key())
    db.session.add(entry)
    db.session.flush()
    anchor_path = current_app.config.get("AUDIT_ANCHOR_PATH")
    if anchor_path:
        db.session.info[HEAD_INFO_KEY] = (anchor_path, entry.id, entry.hash)
    return entry


PROBLEMS = {
    "edited": "edited entry {id}: its content does not match its keyed hash",
    "cut": "chain cut at entry {id}: the entry before it was deleted, inserted or altered",
    "deleted_after": "entries after {id} deleted: the anchor names entry {anchor_id}",
    "anchor_mismatch": "anchor mismatch at entry {id}: the chain was rewritten up to the anchored entry",
    "anchor_missing": "anchor missing: {count} entries but no anchor at {path}",
}


@dataclass
class VerifyResult:
    """Outcome of a chain verification; `problem` is a key of PROBLEMS."""

    ok: bool
    checked: int
    bad_entry_id: int | None = None
    problem: str | None = None
    head_id: int | None = None
    head_hash: str | None = None
    anchor_id: int | None = None

    def describe(self, anchor_path: str | None = None) -> str:
        return PROBLEMS[self.problem].format(id=self.bad_entry_id, anchor_id=self.anchor_id,
                                             count=self.checked, path=anchor_path)


def verify_chain(anchor: tuple[int, str] | None = None, *, key: bytes | None = None,
                 batch: int = 5000) -> VerifyResult:
    """Walk the chain in id order, then compare the head with `anchor` (its id and hash) if given.

    The first problem found is reported: an entry whose keyed hash does not match (edited), an entry
    whose previous hash is not its predecessor's (cut), an anchor beyond the last entry (the newest
    entries deleted) or an anchored entry whose hash differs (the chain rewritten with the key).
    """
    key = key or chain_key()
    expected_prev = GENESIS_HASH
    checked = 0
    last_id, last_hash = 0, None
    anchor_seen = False
    while True:
        rows = db.session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != expected_prev:
                return VerifyResult(False, checked, entry.id, "cut")
            if not hmac.compare_digest(entry.compute_hash(key), entry.hash):
                return VerifyResult(False, checked, entry.id, "edited")
            if anchor is not None and entry.id == anchor[0]:
                anchor_seen = True
                if not hmac.compare_digest(entry.hash, anchor[1]):
                    return VerifyResult(False, checked, entry.id, "anchor_mismatch")
            expected_prev = entry.hash
            checked += 1
            last_id, last_hash = entry.id, entry.hash
        db.session.expunge_all()
    result = VerifyResult(True, checked, head_id=last_id or None, head_hash=last_hash)
    if anchor is not None and not anchor_seen:
        result.ok, result.anchor_id = False, anchor[0]
        if anchor[0] > last_id:
            result.bad_entry_id, result.problem = last_id, "deleted_after"
        else:
            result.bad_entry_id, result.problem = anchor[0], "cut"
    return result
