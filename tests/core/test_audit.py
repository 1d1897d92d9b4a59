"""The hash-chained audit log."""

from sqlalchemy import select, text, update

from core import audit
from core.audit import AuditEntry
from core.permissions import Role
from tests.conftest import make_user


def _three_entries(db):
    actor = make_user(Role.admin)
    target = make_user(Role.resident)
    for n in range(3):
        audit.record(actor, "user.test_changed", target, {"n": (n, n + 1)}, reason=f"step {n}")
    db.session.commit()
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


def test_entries_record_actor_target_before_after_and_reason(db):
    entries = _three_entries(db)
    last = entries[-1]
    assert last.action == "user.test_changed" and last.target_type == "User"
    assert last.before == {"n": 2} and last.after == {"n": 3} and last.reason == "step 2"
    assert last.prev_hash == entries[-2].hash
    assert entries[0].prev_hash == audit.GENESIS_HASH


def test_verify_accepts_an_intact_chain(app, db):
    _three_entries(db)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "3 entries verified" in result.output


def test_verify_names_an_edited_entry(app, db):
    entries = _three_entries(db)
    db.session.execute(update(AuditEntry).where(AuditEntry.id == entries[1].id).values(reason="rewritten"))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"entry {entries[1].id}" in result.output


def test_verify_detects_a_deleted_entry(app, db):
    entries = _three_entries(db)
    db.session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entries[1].id})
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"entry {entries[2].id}" in result.output


def test_state_changes_through_the_ui_are_audited(client, as_user, db):
    admin = as_user(Role.admin)
    victim = make_user(Role.resident)
    client.post(f"/admin/users/{victim.id}/active")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.activation_changed")).one()
    assert entry.actor_id == admin.id and entry.before == {"active": True} and entry.after == {"active": False}


def test_audit_page_filters_by_action(client, as_user, db):
    _three_entries(db)
    as_user(Role.regulator)
    page = client.get("/audit?action=user.test").get_data(as_text=True)
    assert page.count("user.test_changed") == 3
    assert "user.test_changed" not in client.get("/audit?action=product.").get_data(as_text=True)
