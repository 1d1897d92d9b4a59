"""suppliers: staff membership moves from user.supplier_id to its own table

Revision ID: 46edc91b7079
Revises: 2196c7a35c65
Create Date: 2026-12-02 04:40:00.000000

Every account with a company keeps it: the first account of each company (lowest id) becomes its
owner, the others staff. The downgrade copies the memberships back into user.supplier_id.

On SQLite, batch mode rebuilds the user table (copy, drop, rename). With foreign keys enforced,
dropping it would cascade to role_grant, notification and supplier_staff rows, so enforcement is
switched off around the rebuild and the result checked with PRAGMA foreign_key_check.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '46edc91b7079'
down_revision = '2196c7a35c65'
branch_labels = None
depends_on = None


def _sqlite_foreign_keys(enabled):
    """Switch SQLite foreign-key enforcement (only possible outside a transaction)."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return
    if enabled:
        problems = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
        if problems:
            raise RuntimeError(f'foreign key violations after rebuilding user: {problems[:5]}')
    with op.get_context().autocommit_block():
        op.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")


def upgrade():
    _sqlite_foreign_keys(False)
    op.create_table('supplier_staff',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('owner', 'staff', name='staff_role', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_supplier_staff_supplier_id_supplier'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_supplier_staff_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_supplier_staff'))
    )
    with op.batch_alter_table('supplier_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_staff_supplier_id'), ['supplier_id'], unique=False)

    op.execute(
        'INSERT INTO supplier_staff (user_id, supplier_id, role) '
        'SELECT u.id, u.supplier_id, CASE WHEN u.id = (SELECT MIN(f.id) FROM "user" f '
        "WHERE f.supplier_id = u.supplier_id) THEN 'owner' ELSE 'staff' END "
        'FROM "user" u WHERE u.supplier_id IS NOT NULL'
    )

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_user_supplier_id_supplier'), type_='foreignkey')
        batch_op.drop_column('supplier_id')
    _sqlite_foreign_keys(True)


def downgrade():
    _sqlite_foreign_keys(False)
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('supplier_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_user_supplier_id_supplier'), 'supplier', ['supplier_id'], ['id'])

    op.execute(
        'UPDATE "user" SET supplier_id = '
        '(SELECT s.supplier_id FROM supplier_staff s WHERE s.user_id = "user".id)'
    )

    with op.batch_alter_table('supplier_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_staff_supplier_id'))

    op.drop_table('supplier_staff')
    _sqlite_foreign_keys(True)
