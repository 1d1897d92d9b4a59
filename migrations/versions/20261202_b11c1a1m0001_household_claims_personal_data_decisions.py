"""registry/core: household claims carry the household's name, address and certificate number and the
official's decision; users say whether their building is taller than 100 m

Revision ID: b11c1a1m0001
Revises: 9c4e2b7a51d3
Create Date: 2026-12-02 09:00:00.000000

household_category_claim: verified_by_id / verified_at become decided_by_id / decided_at (a rejection is
a decision too); new encrypted columns full_name, address, certificate_number and a decision_reason, with
CHECK constraints (certificate number exactly for registered_poor and low_income; decided exactly when not
pending; a rejection has a reason).

Existing claims keep their data: full_name is the account's display name and address "" (the official
asks for the real ones when deciding), a registered_poor / low_income claim gets an empty certificate
number, and an earlier rejection gets its updated_at as decided_at and a note that no reason was
recorded. The new values are encrypted here with DATA_KEY exactly as core.crypto does (AES-256-GCM), so set
DATA_KEY before upgrading. user.building_over_100m starts NULL (not said).

On SQLite, batch mode rebuilds household_category_claim; foreign-key enforcement is switched off around
the rebuild and the result checked with PRAGMA foreign_key_check (as in 46edc91b7079). The user table is
only extended in place (ALTER TABLE ADD / DROP COLUMN), never rebuilt.
"""
import base64
import hashlib
import hmac

import sqlalchemy as sa
from alembic import op
from Crypto.Cipher import AES
from Crypto.Random import get_random_bytes
from flask import current_app

revision = 'b11c1a1m0001'
down_revision = '9c4e2b7a51d3'
branch_labels = None
depends_on = None

TABLE = 'household_category_claim'
NO_REASON = '迁移前的决定，未记录理由。'
claims = sa.table(
    TABLE, sa.column('id', sa.Integer), sa.column('user_id', sa.Integer), sa.column('category', sa.String),
    sa.column('status', sa.String), sa.column('updated_at', sa.DateTime(timezone=True)),
    sa.column('decided_at', sa.DateTime(timezone=True)), sa.column('decision_reason', sa.Text),
    sa.column('full_name', sa.String), sa.column('address', sa.String), sa.column('certificate_number', sa.String),
)
users = sa.table('user', sa.column('id', sa.Integer), sa.column('display_name', sa.String))


def _sqlite_foreign_keys(enabled):
    """Switch SQLite foreign-key enforcement (only possible outside a transaction)."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if enabled:
        problems = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
        if problems:
            raise RuntimeError(f'foreign key violations after rebuilding {TABLE}: {problems[:5]}')
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")


def _encrypt(plaintext):
    """core.crypto.encrypt, repeated here (a migration never imports app code)."""
    raw = current_app.config['DATA_KEY']
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError:
        key = b''
    if len(key) != 32:
        key = hashlib.sha256(raw.encode()).digest()
    nonce = get_random_bytes(12)
    cipher = AES.new(hmac.new(key, b'encrypt', hashlib.sha256).digest(), AES.MODE_GCM, nonce=nonce)
    ciphertext, tag = cipher.encrypt_and_digest(plaintext.encode('utf-8'))
    return base64.urlsafe_b64encode(b'\x01' + nonce + tag + ciphertext).decode('ascii')


def _backfill():
    bind = op.get_bind()
    rows = bind.execute(sa.select(claims.c.id, claims.c.category, claims.c.status, claims.c.updated_at,
                                  claims.c.decided_at, users.c.display_name)
                        .select_from(claims.join(users, users.c.id == claims.c.user_id))).fetchall()
    for row in rows:
        values = {'full_name': _encrypt(row.display_name or ''), 'address': _encrypt('')}
        if row.category in ('registered_poor', 'low_income'):
            values['certificate_number'] = _encrypt('')
        if row.status == 'rejected':
            values['decision_reason'] = NO_REASON
            if row.decided_at is None:
                values['decided_at'] = row.updated_at
        bind.execute(claims.update().where(claims.c.id == row.id).values(**values))


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('building_over_100m', sa.Boolean(), nullable=True))

    _sqlite_foreign_keys(False)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_household_category_claim_verified_has_time'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_household_category_claim_verified_by_id_user'), type_='foreignkey')
        batch_op.alter_column('verified_by_id', new_column_name='decided_by_id', existing_type=sa.Integer(),
                              existing_nullable=True)
        batch_op.alter_column('verified_at', new_column_name='decided_at',
                              existing_type=sa.DateTime(timezone=True), existing_nullable=True)
        batch_op.add_column(sa.Column('certificate_number', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('full_name', sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('decision_reason', sa.Text(), nullable=True))

    _backfill()

    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_household_category_claim_decided_by_id_user'), 'user',
                                    ['decided_by_id'], ['id'])
        batch_op.alter_column('full_name', existing_type=sa.String(length=400), nullable=False)
        batch_op.alter_column('address', existing_type=sa.String(length=1000), nullable=False)
        batch_op.create_check_constraint(
            batch_op.f('ck_household_category_claim_certificate_iff_certificate_category'),
            "(category IN ('registered_poor','low_income')) = (certificate_number IS NOT NULL)")
        batch_op.create_check_constraint(batch_op.f('ck_household_category_claim_decided_iff_not_pending'),
                                         "(status = 'pending') = (decided_at IS NULL)")
        batch_op.create_check_constraint(
            batch_op.f('ck_household_category_claim_rejected_has_reason'),
            "status <> 'rejected' OR (decision_reason IS NOT NULL AND decision_reason <> '')")
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_household_category_claim_rejected_has_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_household_category_claim_decided_iff_not_pending'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_household_category_claim_certificate_iff_certificate_category'),
                                 type_='check')
        batch_op.drop_constraint(batch_op.f('fk_household_category_claim_decided_by_id_user'), type_='foreignkey')
        batch_op.drop_column('decision_reason')
        batch_op.drop_column('address')
        batch_op.drop_column('full_name')
        batch_op.drop_column('certificate_number')
    # Only a verified claim had a time before; a rejection's time and reason are dropped.
    op.execute(sa.table(TABLE, sa.column('status', sa.String), sa.column('decided_at', sa.DateTime(timezone=True)))
               .update().where(sa.column('status') != 'verified').values(decided_at=None))
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.alter_column('decided_at', new_column_name='verified_at',
                              existing_type=sa.DateTime(timezone=True), existing_nullable=True)
        batch_op.alter_column('decided_by_id', new_column_name='verified_by_id', existing_type=sa.Integer(),
                              existing_nullable=True)
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_household_category_claim_verified_by_id_user'), 'user',
                                    ['verified_by_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_household_category_claim_verified_has_time'),
                                         "(status = 'verified') = (verified_at IS NOT NULL)")
    _sqlite_foreign_keys(True)
    op.drop_column('user', 'building_over_100m')
