"""orders and the installed-device register

New tables only: purchase_order (with its state invariants as CHECK constraints), order_line, order_event,
order_payment, inspection, and installed_device (devices/, the register orders records installations in).

Revision ID: a11o0rder001
Revises: b11c1a1m0001
Create Date: 2026-12-02 08:10:06.009719

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a11o0rder001'
down_revision = 'b11c1a1m0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('installed_device',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('identifier', sa.String(length=120), nullable=False),
    sa.Column('carrier', sa.Enum('passive', 'active', name='carrier', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('serial', sa.String(length=100), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('device_type', sa.Enum('leak_alarm', 'self_closing_valve', name='device_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('gas_type', sa.Enum('natural_gas', 'lpg', name='gas_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('installed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('installed_on', sa.Date(), nullable=False),
    sa.Column('replace_by', sa.Date(), nullable=True),
    sa.Column('state', sa.Enum('active', 'alarm', 'offline', 'fault', 'replaced', 'removed', name='device_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(identifier) >= 4', name=op.f('ck_installed_device_identifier_length')),
    sa.CheckConstraint('replace_by IS NULL OR replace_by >= installed_on', name=op.f('ck_installed_device_replace_after_install')),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_installed_device_district_id_district')),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], name=op.f('fk_installed_device_owner_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_installed_device_product_id_product')),
    sa.ForeignKeyConstraint(['registered_by_id'], ['user.id'], name=op.f('fk_installed_device_registered_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_installed_device_supplier_id_supplier')),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_installed_device_township_id_township'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_installed_device')),
    sa.UniqueConstraint('identifier', name=op.f('uq_installed_device_identifier'))
    )
    with op.batch_alter_table('installed_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_installed_device_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_installed_device_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_installed_device_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_installed_device_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_installed_device_replace_by'), ['replace_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_installed_device_serial'), ['serial'], unique=False)
        batch_op.create_index(batch_op.f('ix_installed_device_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_installed_device_supplier_id'), ['supplier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_installed_device_township_id'), ['township_id'], unique=False)

    op.create_table('purchase_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), server_default='1', nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('township_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('list_version_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.Enum('pending_payment', 'paid', 'scheduled', 'installed', 'confirmed', 'inspected', 'canceled', 'refunded', name='order_state', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('address', sa.String(length=600), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=False),
    sa.Column('contact_phone', sa.String(length=100), nullable=False),
    sa.Column('building_over_100m', sa.Boolean(), nullable=False),
    sa.Column('preferred_date', sa.Date(), nullable=True),
    sa.Column('subtotal_fen', sa.Integer(), nullable=False),
    sa.Column('subsidy_fen', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('paid_fen', sa.Integer(), nullable=False),
    sa.Column('refunded_fen', sa.Integer(), nullable=False),
    sa.Column('subsidy_category', sa.String(length=32), nullable=True),
    sa.Column('subsidy_policy_id', sa.Integer(), nullable=True),
    sa.Column('payment_attempts', sa.Integer(), nullable=False),
    sa.Column('checkout_session_id', sa.String(length=255), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('refund_id', sa.String(length=255), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('appointment_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('appointment_note', sa.Text(), nullable=True),
    sa.Column('installed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('inspected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('canceled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.Text(), nullable=True),
    sa.Column('canceled_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(state = 'inspected') = (inspected_at IS NOT NULL)", name=op.f('ck_purchase_order_inspected_iff_time')),
    sa.CheckConstraint("(state = 'refunded') <= (refunded_fen = paid_fen AND paid_fen > 0)", name=op.f('ck_purchase_order_refunded_in_full')),
    sa.CheckConstraint("(state = 'refunded') = (refunded_at IS NOT NULL)", name=op.f('ck_purchase_order_refunded_iff_time')),
    sa.CheckConstraint("(state IN ('canceled', 'refunded')) = (canceled_at IS NOT NULL)", name=op.f('ck_purchase_order_canceled_iff_time')),
    sa.CheckConstraint("(state IN ('confirmed', 'inspected')) <= (confirmed_at IS NOT NULL)", name=op.f('ck_purchase_order_confirmed_has_time')),
    sa.CheckConstraint("(state IN ('confirmed', 'inspected', 'installed')) <= (installed_at IS NOT NULL)", name=op.f('ck_purchase_order_installed_has_time')),
    sa.CheckConstraint("(state IN ('confirmed', 'inspected', 'installed', 'paid', 'scheduled')) <= (paid_at IS NOT NULL)", name=op.f('ck_purchase_order_paid_has_time')),
    sa.CheckConstraint("(state IN ('confirmed', 'inspected', 'installed', 'paid', 'scheduled')) <= (paid_fen = amount_fen)", name=op.f('ck_purchase_order_paid_in_full')),
    sa.CheckConstraint("(state IN ('confirmed', 'inspected', 'installed', 'scheduled')) <= (appointment_at IS NOT NULL)", name=op.f('ck_purchase_order_scheduled_has_appointment')),
    sa.CheckConstraint('amount_fen = subtotal_fen - subsidy_fen', name=op.f('ck_purchase_order_amount_is_subtotal_less_subsidy')),
    sa.CheckConstraint('paid_fen >= 0 AND paid_fen <= amount_fen', name=op.f('ck_purchase_order_paid_within_amount')),
    sa.CheckConstraint('payment_attempts >= 0', name=op.f('ck_purchase_order_attempts_not_negative')),
    sa.CheckConstraint('refunded_fen >= 0 AND refunded_fen <= paid_fen', name=op.f('ck_purchase_order_refund_within_paid')),
    sa.CheckConstraint('subtotal_fen >= 0 AND subsidy_fen >= 0 AND subsidy_fen <= subtotal_fen', name=op.f('ck_purchase_order_subsidy_within_subtotal')),
    sa.ForeignKeyConstraint(['canceled_by_id'], ['user.id'], name=op.f('fk_purchase_order_canceled_by_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['community_id'], ['old_community.id'], name=op.f('fk_purchase_order_community_id_old_community'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_purchase_order_district_id_district')),
    sa.ForeignKeyConstraint(['list_version_id'], ['list_version.id'], name=op.f('fk_purchase_order_list_version_id_list_version')),
    sa.ForeignKeyConstraint(['resident_id'], ['user.id'], name=op.f('fk_purchase_order_resident_id_user')),
    sa.ForeignKeyConstraint(['subsidy_policy_id'], ['subsidy_policy.id'], name=op.f('fk_purchase_order_subsidy_policy_id_subsidy_policy'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_purchase_order_supplier_id_supplier')),
    sa.ForeignKeyConstraint(['township_id'], ['township.id'], name=op.f('fk_purchase_order_township_id_township'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order'))
    )
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_order_checkout_session_id'), ['checkout_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_payment_intent_id'), ['payment_intent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_supplier_id'), ['supplier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_township_id'), ['township_id'], unique=False)

    op.create_table('inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.Integer(), nullable=False),
    sa.Column('result', sa.Enum('passed', 'failed', name='inspection_result', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("result = 'passed' OR length(notes) > 0", name=op.f('ck_inspection_failure_has_notes')),
    sa.ForeignKeyConstraint(['inspector_id'], ['user.id'], name=op.f('fk_inspection_inspector_id_user')),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_inspection_order_id_purchase_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection'))
    )
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_order_id'), ['order_id'], unique=False)

    op.create_table('order_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=300), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['user.id'], name=op.f('fk_order_event_actor_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_order_event_order_id_purchase_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_event'))
    )
    with op.batch_alter_table('order_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_event_order_id'), ['order_id'], unique=False)

    op.create_table('order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_fen', sa.Integer(), nullable=False),
    sa.Column('install_fee_fen', sa.Integer(), nullable=False),
    sa.Column('published_price_fen', sa.Integer(), nullable=False),
    sa.Column('subsidy_fen', sa.Integer(), nullable=False),
    sa.Column('device_type', sa.Enum('leak_alarm', 'self_closing_valve', name='device_type', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('tier', sa.Enum('low', 'mid', 'high', name='tier', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.CheckConstraint('quantity BETWEEN 1 AND 20', name=op.f('ck_order_line_quantity_range')),
    sa.CheckConstraint('unit_price_fen >= 0 AND install_fee_fen >= 0 AND subsidy_fen >= 0', name=op.f('ck_order_line_amounts_not_negative')),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_order_line_order_id_purchase_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_order_line_product_id_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_line')),
    sa.UniqueConstraint('order_id', 'product_id', name=op.f('uq_order_line_order_id_product_id'))
    )
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_line_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_order_line_product_id'), ['product_id'], unique=False)

    op.create_table('order_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('checkout_session_id', sa.String(length=255), nullable=False),
    sa.Column('checkout_url', sa.String(length=1000), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('open', 'paid', 'failed', 'expired', name='payment_status', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('failure_code', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_order_payment_order_id_purchase_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_payment')),
    sa.UniqueConstraint('checkout_session_id', name=op.f('uq_order_payment_checkout_session_id')),
    sa.UniqueConstraint('order_id', 'attempt', name=op.f('uq_order_payment_order_id_attempt'))
    )
    with op.batch_alter_table('order_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_payment_order_id'), ['order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('order_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_payment_order_id'))

    op.drop_table('order_payment')
    with op.batch_alter_table('order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_line_product_id'))
        batch_op.drop_index(batch_op.f('ix_order_line_order_id'))

    op.drop_table('order_line')
    with op.batch_alter_table('order_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_event_order_id'))

    op.drop_table('order_event')
    with op.batch_alter_table('inspection', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_order_id'))

    op.drop_table('inspection')
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_order_township_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_state'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_resident_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_payment_intent_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_district_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_checkout_session_id'))

    op.drop_table('purchase_order')
    with op.batch_alter_table('installed_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_installed_device_township_id'))
        batch_op.drop_index(batch_op.f('ix_installed_device_supplier_id'))
        batch_op.drop_index(batch_op.f('ix_installed_device_state'))
        batch_op.drop_index(batch_op.f('ix_installed_device_serial'))
        batch_op.drop_index(batch_op.f('ix_installed_device_replace_by'))
        batch_op.drop_index(batch_op.f('ix_installed_device_product_id'))
        batch_op.drop_index(batch_op.f('ix_installed_device_owner_id'))
        batch_op.drop_index(batch_op.f('ix_installed_device_order_id'))
        batch_op.drop_index(batch_op.f('ix_installed_device_district_id'))

    op.drop_table('installed_device')
