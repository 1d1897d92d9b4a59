"""order_payment.refund_id: the refund of a payment an order did not need

Revision ID: c11o0rder002
Revises: a11o0rder001
Create Date: 2026-12-02 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c11o0rder002'
down_revision = 'a11o0rder001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refund_id', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('order_payment', schema=None) as batch_op:
        batch_op.drop_column('refund_id')
