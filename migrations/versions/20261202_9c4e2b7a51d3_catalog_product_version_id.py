"""catalog: product.version_id for optimistic locking of product edits

Revision ID: 9c4e2b7a51d3
Revises: 7a3c0e41d9b2
Create Date: 2026-12-02 05:55:00.000000

Every existing product starts at version 1 (server default). SQLite adds the column in place
(ALTER TABLE ADD COLUMN); the downgrade drops it in place too (SQLite 3.35+), so the product table,
which many tables reference, is never rebuilt.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9c4e2b7a51d3'
down_revision = '7a3c0e41d9b2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version_id', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    op.drop_column('product', 'version_id')
