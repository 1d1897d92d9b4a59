"""The audit log: keyed hash chain, head anchor, append-only triggers, `audit verify`."""

from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DatabaseError

from core import audit, audit_anchor
from core.audit import AuditEntry
from core.permissions import Role
from tests.conftest import make_user


def _entries(db, count=3):
    actor = make_user(Role.admin)
    target = make_user(Role.resident)
    for n in range(count):
        audit.record(actor, "user.test_changed", target, {"n": (n, n + 1)}, reason=f"step {n}")
    db.session.commit()
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


@contextmanager
def _triggers_lifted(db):
    """What an attacker with the database owner's rights can do: drop the triggers, then restore them."""
    dialect = db.engine.dialect.name
    db.session.rollback()  # DDL waits for every open transaction that read the table (PostgreSQL)
    with db.engine.begin() as conn:
        for statement in audit.DROP_APPEND_ONLY_DDL[dialect]:
            conn.exec_driver_sql(statement)
    try:
        yield
    finally:
        db.session.rollback()
        with db.engine.begin() as conn:
            for statement in audit.APPEND_ONLY_DDL[dialect]:
                conn.exec_driver_sql(statement)


def _rechain_from(db, first_id, key):
    """Recompute every hash from `first_id` on with `key` (a guess, or the real key if it leaked)."""
    rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    prev = audit.GENESIS_HASH
    for entry in rows:
        if entry.id >= first_id:
            entry.prev_hash = prev
            # Unique hashes: move through a placeholder so that the rewrite never collides mid-way.
            entry.hash = f"{entry.id:064d}"
            db.session.flush()
            entry.hash = entry.compute_hash(key)
            db.session.flush()
        prev = entry.hash
    db.session.commit()


def _verify(app, *args):
    return app.test_cli_runner().invoke(args=["audit", "verify", *args])


def test_entries_record_actor_target_before_after_and_reason(db):
    entries = _entries(db)
    last = entries[-1]
    assert last.action == "user.test_changed" and last.target_type == "User"
    assert last.before == {"n": 2} and last.after == {"n": 3} and last.reason == "step 2"
    assert last.prev_hash == entries[-2].hash
    assert entries[0].prev_hash == audit.GENESIS_HASH


def test_the_chain_is_keyed_with_audit_key(app, db):
    entries = _entries(db, 1)
    assert entries[0].hash == entries[0].compute_hash(app.config["AUDIT_KEY"].encode())
    assert entries[0].hash != entries[0].compute_hash(b"another key")


def test_verify_accepts_an_intact_chain_and_prints_the_head_anchor(app, db):
    entries = _entries(db)
    result = _verify(app)
    assert result.exit_code == 0, result.output
    assert "3 entries verified" in result.output
    assert f"{entries[-1].id}:{entries[-1].hash}" in result.output


def test_the_anchor_file_follows_each_commit_and_never_moves_back(app, db):
    path = app.config["AUDIT_ANCHOR_PATH"]
    entries = _entries(db)
    assert audit_anchor.read_anchor(path) == (entries[-1].id, entries[-1].hash)
    audit_anchor.advance_anchor(path, entries[0].id, entries[0].hash)
    assert audit_anchor.read_anchor(path) == (entries[-1].id, entries[-1].hash)
    audit.record(None, "user.test_changed", None, {})
    db.session.rollback()
    assert audit_anchor.read_anchor(path) == (entries[-1].id, entries[-1].hash)


@pytest.mark.parametrize("statement", ["UPDATE audit_entry SET reason = 'rewritten'", "DELETE FROM audit_entry"])
def test_the_database_refuses_to_update_or_delete_entries(db, statement):
    _entries(db)
    with pytest.raises(DatabaseError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.reason == "rewritten")) is None
    assert len(db.session.scalars(select(AuditEntry)).all()) == 3


def test_verify_names_an_edited_entry(app, db):
    entries = _entries(db)
    with _triggers_lifted(db):
        db.session.execute(update(AuditEntry).where(AuditEntry.id == entries[1].id).values(reason="rewritten"))
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"edited entry {entries[1].id}" in result.output


def test_an_edit_rechained_without_the_key_is_named(app, db):
    entries = _entries(db)
    with _triggers_lifted(db):
        db.session.get(AuditEntry, entries[1].id).reason = "rewritten"
        _rechain_from(db, entries[1].id, b"guessed-key")
    result = _verify(app)
    assert result.exit_code == 1
    assert f"edited entry {entries[1].id}" in result.output


def test_a_chain_rewritten_with_the_leaked_key_fails_against_the_anchor(app, db):
    entries = _entries(db)
    kept_elsewhere = f"{entries[-1].id}:{entries[-1].hash}"
    with _triggers_lifted(db):
        db.session.get(AuditEntry, entries[0].id).reason = "rewritten"
        _rechain_from(db, entries[0].id, app.config["AUDIT_KEY"].encode())
    result = _verify(app)
    assert result.exit_code == 1
    assert f"anchor mismatch at entry {entries[-1].id}" in result.output
    assert f"anchor mismatch at entry {entries[-1].id}" in _verify(app, "--anchor", kept_elsewhere).output


def test_verify_names_a_cut_in_the_chain(app, db):
    entries = _entries(db)
    with _triggers_lifted(db):
        db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entries[1].id})
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"chain cut at entry {entries[2].id}" in result.output


def test_deleting_the_newest_entries_is_detected_by_the_anchor(app, db):
    entries = _entries(db, 4)
    with _triggers_lifted(db):
        db.session.execute(text("DELETE FROM audit_entry WHERE id >= :id"), {"id": entries[2].id})
        db.session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert f"entries after {entries[1].id} deleted" in result.output


def test_an_anchor_kept_elsewhere_catches_a_deleted_head_and_anchor_file(app, db):
    entries = _entries(db)
    kept_elsewhere = f"{entries[-1].id}:{entries[-1].hash}"
    with _triggers_lifted(db):
        db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entries[-1].id})
        db.session.commit()
    Path(app.config["AUDIT_ANCHOR_PATH"]).unlink()
    missing = _verify(app)
    assert missing.exit_code == 1 and "anchor missing" in missing.output
    result = _verify(app, "--anchor", kept_elsewhere)
    assert result.exit_code == 1
    assert f"entries after {entries[1].id} deleted" in result.output
    assert _verify(app, "--anchor", f"{entries[1].id}:{entries[1].hash}").exit_code == 0
    assert _verify(app, "--anchor", "not-an-anchor").exit_code == 2


def test_state_changes_through_the_ui_are_audited(client, as_user, db):
    admin = as_user(Role.admin)
    victim = make_user(Role.resident)
    client.post(f"/admin/users/{victim.id}/active")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.activation_changed")).one()
    assert entry.actor_id == admin.id and entry.before == {"active": True} and entry.after == {"active": False}


def test_audit_page_filters_by_action(client, as_user, db):
    _entries(db)
    as_user(Role.regulator)
    page = client.get("/audit?action=user.test").get_data(as_text=True)
    assert page.count("user.test_changed") == 3
    assert "user.test_changed" not in client.get("/audit?action=product.").get_data(as_text=True)
