"""The migration re-chains entries written before the keyed chain, then makes the table append-only."""

import hashlib
import json
from datetime import UTC, datetime

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from core import audit
from core.db import db
from tests.test_migrations import empty_database_url  # noqa: F401 - the fixture
from wsgi import create_app

BEFORE = "2196c7a35c65"


def _plain_entries(count):
    """Entries as the landed code wrote them: a plain SHA-256 chain."""
    prev, rows = audit.GENESIS_HASH, []
    for n in range(count):
        at = datetime(2026, 11, 30, 1, 2, 3, n, tzinfo=UTC)
        payload = {"at": at.isoformat(timespec="microseconds"), "actor_id": None, "actor_label": "system",
                   "action": "x.test", "target_type": None, "target_id": None, "before": {}, "after": {"n": n},
                   "reason": None, "prev_hash": prev}
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                           separators=(",", ":")).encode()).hexdigest()
        rows.append({"at": at, "after": json.dumps({"n": n}), "prev": prev, "hash": digest})
        prev = digest
    return rows


def test_old_entries_are_rechained_under_the_key(empty_database_url, tmp_path):  # noqa: F811
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "ENV_NAME": "testing",
                           "STRIPE_STUB_EMBEDDED": False, "AUDIT_ANCHOR_PATH": str(tmp_path / "anchor")})
    with migrated.app_context():
        try:
            upgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                for row in _plain_entries(3):
                    conn.execute(text(
                        "INSERT INTO audit_entry (at, actor_label, action, before, after, prev_hash, hash) "
                        "VALUES (:at, 'system', 'x.test', '{}', :after, :prev, :hash)"), row)
            upgrade()
            result = audit.verify_chain()
            assert result.ok and result.checked == 3
            assert (tmp_path / "anchor").read_text().strip() == f"{result.head_id}:{result.head_hash}"
            with pytest.raises(DatabaseError, match="append-only"), db.engine.begin() as conn:
                conn.execute(text("DELETE FROM audit_entry"))
            db.session.remove()  # verify_chain read in the session: its open transaction would block the DDL
            downgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                hashes = conn.execute(text("SELECT hash FROM audit_entry ORDER BY id")).scalars().all()
                assert hashes == [row["hash"] for row in _plain_entries(3)]
                conn.execute(text("DELETE FROM audit_entry"))
        finally:
            db.session.remove()
            db.engine.dispose()
