"""The staff-membership migration moves user.supplier_id rows into supplier_staff and back."""

import tempfile
import uuid
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from core.db import db
from wsgi import create_app

BEFORE = "2196c7a35c65"  # the head before staff membership left core
MEMBERSHIP = "46edc91b7079"


@pytest.fixture
def migrated(app):
    """An app on an empty database of its own (SQLite file or a fresh PostgreSQL database)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    admin, name = None, None
    if url.get_backend_name() == "sqlite":
        target = f"sqlite:///{Path(tempfile.mkdtemp()) / 'membership.sqlite3'}"
    else:
        name = f"migr_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        target = url.set(database=name).render_as_string(hide_password=False)
    other = create_app({"SQLALCHEMY_DATABASE_URI": target, "ENV_NAME": "testing", "STRIPE_STUB_EMBEDDED": False})
    with other.app_context():
        try:
            yield other
        finally:
            db.session.remove()
            db.engine.dispose()
    if admin is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _seed_old_schema() -> None:
    """Two companies; the first has two accounts, the second one; a resident has none."""
    with db.engine.begin() as conn:
        for sid, code in ((1, "91500103MA60100001"), (2, "91500103MA60100002")):
            conn.execute(text(
                "INSERT INTO supplier (id, legal_name, credit_code, credit_code_override, status, created_at, "
                "updated_at) VALUES (:id, :name, :code, false, 'verified', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"id": sid, "name": f"单位{sid}", "code": code})
        for uid, supplier_id in ((10, 1), (11, 2), (12, 1), (13, None)):
            conn.execute(text(
                'INSERT INTO "user" (id, email, password_hash, display_name, active, supplier_id, created_at, '
                "updated_at) VALUES (:id, :email, 'x', :name, true, :sid, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                {"id": uid, "email": f"u{uid}@example.test", "name": f"用户{uid}", "sid": supplier_id})
            conn.execute(text("INSERT INTO role_grant (user_id, role) VALUES (:id, :role)"),
                         {"id": uid, "role": "resident" if supplier_id is None else "supplier"})


def _grants() -> list[tuple]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT user_id, role FROM role_grant ORDER BY user_id"))]


def test_upgrade_moves_staff_rows_and_downgrade_restores_the_column(migrated):
    upgrade(revision=BEFORE)
    _seed_old_schema()

    grants = _grants()
    assert len(grants) == 4

    upgrade(revision=MEMBERSHIP)
    assert _grants() == grants  # rebuilding the user table on SQLite cascades nothing
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT user_id, supplier_id, role FROM supplier_staff ORDER BY user_id")).all()
        assert [tuple(r) for r in rows] == [(10, 1, "owner"), (11, 2, "owner"), (12, 1, "staff")]
        assert "supplier_id" not in {c["name"] for c in inspect(conn).get_columns("user")}

    downgrade(revision=BEFORE)
    assert _grants() == grants
    with db.engine.connect() as conn:
        assert "supplier_staff" not in inspect(conn).get_table_names()
        rows = conn.execute(text('SELECT id, supplier_id FROM "user" ORDER BY id')).all()
        assert [tuple(r) for r in rows] == [(10, 1), (11, 2), (12, 1), (13, None)]
        fks = {fk["name"] for fk in inspect(conn).get_foreign_keys("user")}
        assert "fk_user_supplier_id_supplier" in fks


def test_a_membership_role_outside_the_enum_is_refused_by_the_database(migrated):
    upgrade(revision=BEFORE)
    _seed_old_schema()
    upgrade()
    with pytest.raises(IntegrityError), db.engine.begin() as conn:
        conn.execute(text("INSERT INTO supplier_staff (user_id, supplier_id, role) VALUES (13, 1, 'manager')"))
