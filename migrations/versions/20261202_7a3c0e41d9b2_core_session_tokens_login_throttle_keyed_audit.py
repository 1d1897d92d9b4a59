"""core: session tokens, per-account login throttle, keyed append-only audit chain

Revision ID: 7a3c0e41d9b2
Revises: 46edc91b7079
Create Date: 2026-12-02 04:50:00

Existing audit entries were chained with plain SHA-256. The upgrade first verifies that old chain and
refuses to continue if it is broken (investigate with the previous release's `audit verify`); then it
re-chains every entry with HMAC-SHA256 under AUDIT_KEY (so set AUDIT_KEY before upgrading), writes the
head anchor (AUDIT_ANCHOR_PATH), and only then installs the triggers that forbid UPDATE and DELETE.
The downgrade drops the triggers and re-chains with plain SHA-256.
"""
import hashlib
import hmac
import json
import secrets
from datetime import UTC

import sqlalchemy as sa
from alembic import op
from flask import current_app

revision = '7a3c0e41d9b2'
down_revision = '46edc91b7079'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64
TRIGGERS = {
    "sqlite": [
        "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
        "CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry "
        "BEGIN SELECT RAISE(ABORT, 'audit_entry is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END $$",
        "CREATE TRIGGER audit_entry_no_update BEFORE UPDATE OR DELETE ON audit_entry "
        "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    ],
}
DROP_TRIGGERS = {
    "sqlite": ["DROP TRIGGER IF EXISTS audit_entry_no_update", "DROP TRIGGER IF EXISTS audit_entry_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS audit_entry_no_update ON audit_entry",
                   "DROP FUNCTION IF EXISTS audit_entry_append_only()"],
}

audit_entry = sa.table(
    "audit_entry", sa.column("id", sa.Integer), sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer), sa.column("actor_label", sa.String), sa.column("action", sa.String),
    sa.column("target_type", sa.String), sa.column("target_id", sa.String), sa.column("before", sa.JSON),
    sa.column("after", sa.JSON), sa.column("reason", sa.Text), sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
)
user_table = sa.table("user", sa.column("id", sa.Integer), sa.column("session_token", sa.String))


def _canonical(row, prev_hash):
    at = row.at if row.at.tzinfo is not None else row.at.replace(tzinfo=UTC)
    payload = {"at": at.isoformat(timespec="microseconds"), "actor_id": row.actor_id,
               "actor_label": row.actor_label, "action": row.action, "target_type": row.target_type,
               "target_id": row.target_id, "before": row.before, "after": row.after, "reason": row.reason,
               "prev_hash": prev_hash}
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _plain(row, prev_hash):
    return hashlib.sha256(_canonical(row, prev_hash)).hexdigest()


def _keyed(key):
    return lambda row, prev_hash: hmac.new(key, _canonical(row, prev_hash), hashlib.sha256).hexdigest()


def _rechain(conn, old_hash, new_hash):
    """Check the chain under `old_hash`, then rewrite it under `new_hash`; return the new head."""
    rows = conn.execute(sa.select(audit_entry).order_by(audit_entry.c.id)).all()
    expected, new_prev, head = GENESIS_HASH, GENESIS_HASH, None
    for row in rows:
        if row.prev_hash != expected or old_hash(row, row.prev_hash) != row.hash:
            raise RuntimeError(f"the audit chain is broken at entry {row.id}: refusing to re-chain it")
        expected = row.hash
        fresh = new_hash(row, new_prev)
        conn.execute(audit_entry.update().where(audit_entry.c.id == row.id).values(prev_hash=new_prev, hash=fresh))
        new_prev, head = fresh, (row.id, fresh)
    return head


def upgrade():
    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    # A plain ADD COLUMN (no table rebuild: on SQLite rebuilding "user" trips the foreign keys that
    # point at it); the empty default only serves rows that exist now and is replaced right away.
    op.add_column('user', sa.Column('session_token', sa.String(length=64), nullable=False, server_default=''))
    conn = op.get_bind()
    for (user_id,) in conn.execute(sa.select(user_table.c.id)).all():
        conn.execute(user_table.update().where(user_table.c.id == user_id)
                     .values(session_token=secrets.token_urlsafe(32)))
    if conn.dialect.name == "postgresql":
        op.alter_column('user', 'session_token', server_default=None)

    head = _rechain(conn, _plain, _keyed(current_app.config["AUDIT_KEY"].encode("utf-8")))
    for statement in TRIGGERS[conn.dialect.name]:
        op.execute(statement)
    path = current_app.config.get("AUDIT_ANCHOR_PATH")
    if head is not None and path:
        from core.audit_anchor import advance_anchor
        advance_anchor(path, *head, replace=True)


def downgrade():
    conn = op.get_bind()
    for statement in DROP_TRIGGERS[conn.dialect.name]:
        op.execute(statement)
    _rechain(conn, _keyed(current_app.config["AUDIT_KEY"].encode("utf-8")), _plain)
    op.drop_column('user', 'session_token')  # native DROP COLUMN (SQLite 3.35+), no table rebuild
    op.drop_table('login_throttle')
