"""Shared fixtures: one app per session, a clean database per test (SQLite or TEST_DATABASE_URL)."""

from __future__ import annotations

import itertools
import os
import tempfile
from pathlib import Path

import pytest
from flask.globals import _cv_app
from flask.testing import FlaskClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from core import audit
from core.accounts.models import ResidentKind, RoleGrant, User
from core.db import db as _db
from core.districts import District, load_districts
from core.permissions import Role
from wsgi import create_app

TEST_PASSWORD = "correct-horse-battery"  # noqa: S105
_counter = itertools.count(1)
_password_hash: dict[str, str] = {}


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context (its own session, `g` and locale), as in production.

    The test's own app context (pushed by the `db` fixture) is hidden while the request runs; afterwards
    the test's session is expired so that it reads what the request committed.
    """

    def open(self, *args, **kwargs):
        token = _cv_app.set(None)
        try:
            response = super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)
        if _cv_app.get(None) is not None:
            _db.session.expire_all()
        return response


def pytest_configure(config) -> None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (created on first use)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not worker or not url.startswith("postgresql"):
        return
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    os.environ["TEST_DATABASE_URL"] = base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def app():
    """The application, configured for tests, with its schema created once."""
    tmp = Path(tempfile.mkdtemp(prefix="gas-test-"))
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'test.sqlite3'}"
    app = create_app({
        "TESTING": True,
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SEARCH_INDEX_DIR": str(tmp / "index"),
        "UPLOAD_DIR": str(tmp / "uploads"),
        "STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp / 'stub.sqlite3'}",
        "STRIPE_STUB_EMBEDDED": False,
        "LOGIN_RATE_LIMIT": "10000 per minute",
        "LIST_STAMP_TTL_SECONDS": 0,  # tests empty the database between them: ids come back
        "REGISTER_RATE_LIMIT": "10000 per minute",
        "REPORT_RATE_LIMIT": "10000 per minute",
        "REPORT_MIN_FILL_SECONDS": 0,
        "RATELIMIT_STORAGE_URI": "memory://",
        "AUDIT_ANCHOR_PATH": str(tmp / "audit-anchor.txt"),
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture(autouse=True)
def db(app):
    """A clean database for each test, with the 41 districts loaded; emptied afterwards."""
    ctx = app.app_context()
    ctx.push()
    load_districts()
    _db.session.commit()
    yield _db
    _db.session.rollback()
    _db.session.remove()
    with _db.engine.begin() as conn:
        for table in reversed(_db.metadata.sorted_tables):
            if table.name == "audit_entry":
                empty_audit_log(conn)
            else:
                conn.execute(table.delete())
    Path(app.config["AUDIT_ANCHOR_PATH"]).unlink(missing_ok=True)
    ctx.pop()


def empty_audit_log(conn) -> None:
    """Empty the append-only audit table: TRUNCATE on PostgreSQL, or DELETE with its triggers lifted."""
    dialect = conn.dialect.name
    if dialect == "postgresql":
        conn.exec_driver_sql("TRUNCATE audit_entry")
        return
    for statement in audit.DROP_APPEND_ONLY_DDL[dialect]:
        conn.exec_driver_sql(statement)
    conn.execute(audit.AuditEntry.__table__.delete())
    for statement in audit.APPEND_ONLY_DDL[dialect]:
        conn.exec_driver_sql(statement)


@pytest.fixture
def demo(app, db):
    """The demo data of SPEC section 7, loaded by the seed-demo command."""
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_app(app):
    """The same app with CSRF protection switched on, for tests of CSRF itself."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield app
    app.config["WTF_CSRF_ENABLED"] = False


def district(code: str) -> District:
    """A district by code."""
    return _db.session.scalar(select(District).where(District.code == code))


def make_user(role: Role | None = Role.resident, *, districts: tuple[str, ...] = (), password: str = TEST_PASSWORD,
              **fields) -> User:
    """A committed user holding `role` (scoped to `districts` codes where the role needs it)."""
    n = next(_counter)
    fields.setdefault("email", f"user{n}@example.test")
    fields.setdefault("display_name", f"用户{n}")
    phone = fields.pop("phone", None)
    if role == Role.resident:
        fields.setdefault("resident_kind", ResidentKind.household)
    user = User(**fields)
    if password not in _password_hash:
        user.set_password(password)
        _password_hash[password] = user.password_hash
    user.password_hash = _password_hash[password]
    user.set_phone(phone)
    if role is not None:
        if districts:
            user.grants = [RoleGrant(role=role, district_id=district(code).id) for code in districts]
        else:
            user.grants = [RoleGrant(role=role)]
    _db.session.add(user)
    _db.session.commit()
    return user


def login(client, user: User) -> None:
    """Log `user` in on `client` without going through the form (the form has its own tests)."""
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


@pytest.fixture
def as_user(client):
    """Log a fresh user with `role` in on the test client: as_user(Role.admin, districts=('500103',))."""

    def _as(role: Role | None = Role.resident, **kwargs) -> User:
        user = make_user(role, **kwargs)
        login(client, user)
        return user

    return _as
