"""Migrations build exactly the schema the models describe, and downgrade to nothing."""

import tempfile
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from core.db import db
from wsgi import create_app


@pytest.fixture
def empty_database_url(app):
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        yield f"sqlite:///{Path(tempfile.mkdtemp()) / 'migrations.sqlite3'}"
        return
    name = f"migr_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_upgrade_to_head_matches_models_and_downgrade_to_base(empty_database_url):
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "ENV_NAME": "testing",
                           "STRIPE_STUB_EMBEDDED": False})
    with migrated.app_context():
        try:
            upgrade()
            with db.engine.connect() as conn:
                context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
                diff = compare_metadata(context, db.metadata)
            assert diff == []
            downgrade(revision="base")
            with db.engine.connect() as conn:
                assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
        finally:
            db.session.remove()
            db.engine.dispose()
