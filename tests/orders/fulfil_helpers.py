"""Orders in the state a fulfilment test needs, inserted directly within the CHECK constraints."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from catalog.models import DeviceType, Tier
from core.accounts.models import User
from core.clock import now_utc
from core.db import db
from core.permissions import Role
from devices.services import DeviceInput
from orders import fulfilment
from orders.models import Order, OrderLine, OrderState
from registry.lists.models import ListVersion
from tests.conftest import district, make_user
from tests.registry.factories import make_product, make_supplier
from tests.suppliers.factories import make_staff

S = OrderState
UNIT_FEN, FEE_FEN = 19900, 5000


@dataclass
class World:
    """Two suppliers of 渝中区, a resident, inspectors and an official of 渝中区 and of 江北区."""

    supplier: object
    product: object
    staff: User
    other_supplier: object
    other_product: object
    other_staff: User
    resident: User
    inspector: User
    other_inspector: User
    official: User
    version: ListVersion


def _version(code: str) -> ListVersion:
    d = district(code)
    number = (db.session.scalar(select(func.max(ListVersion.number)).where(ListVersion.district_id == d.id)) or 0) + 1
    version = ListVersion(district_id=d.id, number=number, snapshot={"suppliers": []}, problems=[])
    db.session.add(version)
    db.session.commit()
    return version


def make_world() -> World:
    supplier = make_supplier(districts=("500103", "500105"))
    other = make_supplier(districts=("500103",))
    product = make_product(supplier, Tier.low, device_type=DeviceType.self_closing_valve, price_fen=UNIT_FEN)
    other_product = make_product(other, Tier.low, device_type=DeviceType.self_closing_valve, price_fen=UNIT_FEN)
    return World(supplier=supplier, product=product, staff=make_staff(supplier, display_name="安装师傅"),
                 other_supplier=other, other_product=other_product, other_staff=make_staff(other),
                 resident=make_user(Role.resident, display_name="王居民"),
                 inspector=make_user(Role.inspector, districts=("500103",), display_name="李安检"),
                 other_inspector=make_user(Role.inspector, districts=("500105",)),
                 official=make_user(Role.district_official, districts=("500103",)), version=_version("500103"))


def make_order(world: World, state: OrderState = S.paid, *, quantity: int = 1, code: str = "500103",
               supplier=None, product=None, resident=None, created_at=None, appointment_at=None) -> Order:
    """A committed order of `quantity` units in `state` (the times its state needs filled in)."""
    supplier, product = supplier or world.supplier, product or world.product
    now = now_utc()
    subtotal = quantity * (UNIT_FEN + FEE_FEN)
    d = district(code)
    order = Order(resident_id=(resident or world.resident).id, district_id=d.id, supplier_id=supplier.id,
                  list_version_id=(world.version if code == "500103" else _version(code)).id, state=state,
                  address="解放碑街道民族路 88 号 3 单元 502", contact_name="王小明", contact_phone="13800138000",
                  preferred_date=(now + timedelta(days=3)).date(), subtotal_fen=subtotal, subsidy_fen=0,
                  amount_fen=subtotal, paid_fen=0, refunded_fen=0)
    if created_at is not None:
        order.created_at = created_at
    order.lines = [OrderLine(product_id=product.id, quantity=quantity, unit_price_fen=UNIT_FEN,
                             install_fee_fen=FEE_FEN, published_price_fen=UNIT_FEN, device_type=product.device_type,
                             tier=product.tier, description=f"{product.brand} {product.model}")]
    if state not in (S.pending_payment,) and not (state == S.canceled):
        order.paid_at, order.paid_fen = now - timedelta(days=2), subtotal
    if state in (S.scheduled, S.installed, S.confirmed, S.inspected):
        order.appointment_at = appointment_at or now + timedelta(days=1)
    if state in (S.installed, S.confirmed, S.inspected):
        order.installed_at = now - timedelta(hours=5)
    if state in (S.confirmed, S.inspected):
        order.confirmed_at = now - timedelta(hours=1)
    if state == S.inspected:
        order.inspected_at = now
    if state in (S.canceled, S.refunded):
        order.canceled_at = now
    if state == S.refunded:
        order.refunded_at, order.refunded_fen = now, order.paid_fen
    db.session.add(order)
    db.session.commit()
    return order


def inputs(*identifiers: str, carrier: str = "passive") -> list[DeviceInput]:
    return [DeviceInput(identifier, carrier, f"SN-{identifier[-6:]}") for identifier in identifiers]


def installed_order(world: World, *identifiers: str, confirmed: bool = False) -> Order:
    """An order installed through the service with `identifiers`, optionally confirmed by the resident."""
    order = make_order(world, S.scheduled, quantity=len(identifiers))
    fulfilment.install_order(order, actor=world.staff, installed_at=now_utc() - timedelta(hours=2),
                             devices=inputs(*identifiers))
    if confirmed:  # the resident's confirmation is helper 3's service: set it as it would
        order.state, order.confirmed_at = S.confirmed, now_utc()
    db.session.commit()
    return order


def reload(order: Order) -> Order:
    """The order as the database has it now (another request or worker may have changed it)."""
    db.session.expire_all()
    return db.session.get(Order, order.id)
