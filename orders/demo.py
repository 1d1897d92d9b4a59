"""Demo orders (SPEC 7): orders in every state paid through the payment stub, installed devices with their
industrial-internet identifiers, a fully subsidised order, an inspection that failed and was rescheduled, and
an organisation's order (idempotent; after registry's demo lists and household claims).

Every step is the real one: place_order at the current list's prices and subsidies, start_payment, a card
typed on the stub's hosted page, the provider's events handed to the orders' handlers
(orders.demo_paying), the supplier's schedule_order and install_order, the resident's confirm_order and
cancel_order, the inspector's record_inspection. A scenario whose order exists (the same resident ordered
the same product) is left alone, so a second run adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from time import sleep

import click
from sqlalchemy import select

from catalog.models import DeviceType, Tier, Usage
from core.accounts.models import User
from core.clock import SHANGHAI, now_utc, today_shanghai
from core.db import db
from devices.services import DeviceInput
from orders.demo_paying import CARD_DECLINED, CARD_PAID, DemoProvider, demo_provider
from orders.fulfilment import install_order, record_inspection, schedule_order
from orders.models import Order, OrderLine, OrderState
from orders.paying import cancel_order, confirm_order, request_refund, start_payment
from orders.placing import OrderDetails, place_order
from orders.pricing import Offer, current_offer
from registry.districts.household_queries import claim_in_force
from registry.districts.models import Township
from registry.lists import queries as list_queries
from suppliers.queries import supplier_of

S = OrderState
#: The order in which a scenario's order goes through its states.
PATH = (S.pending_payment, S.paid, S.scheduled, S.installed, S.confirmed, S.inspected)
#: Identifiers of the demo devices: the prefix of a (made-up) Handle prefix for Chongqing gas safety devices.
IDENTIFIER = "88.520.6/CQ-DEMO-{:06d}"
INSPECTOR = "inspector.{code}@demo.local"

VALVE_LOW = (DeviceType.self_closing_valve, Tier.low, None)
VALVE_MID = (DeviceType.self_closing_valve, Tier.mid, None)
ALARM_LOW = (DeviceType.leak_alarm, Tier.low, Usage.household)
ALARM_MID = (DeviceType.leak_alarm, Tier.mid, Usage.household)
ALARM_HIGH = (DeviceType.leak_alarm, Tier.high, Usage.household)
COMMERCIAL_ALARM = (DeviceType.leak_alarm, Tier.mid, Usage.commercial)


@dataclass(frozen=True)
class Scenario:
    """One demo order: who orders what from which demo supplier, and how far it goes."""

    email: str
    code: str
    supplier: int
    product: tuple[DeviceType, Tier, Usage | None]
    quantity: int
    township: str
    address: str
    contact: tuple[str, str]
    target: OrderState
    #: pending_payment: a declined card was tried first. refunded / canceled: the resident's reason.
    declined_first: bool = False
    reason: str | None = None
    #: The inspector's notes of a failed inspection (the supplier then sets a new appointment).
    failed_inspection: str | None = None

    @property
    def goes_to(self) -> OrderState:
        """The furthest state of PATH the order passes through."""
        if self.target == S.refunded:
            return S.paid
        if self.target == S.canceled:
            return S.pending_payment
        return S.confirmed if self.failed_inspection else self.target

    def reaches(self, state: OrderState) -> bool:
        return PATH.index(self.goes_to) >= PATH.index(state)


YUZHONG_HOME = "渝中区解放碑街道民族路 88 号 3 单元 502"
SCENARIOS = (
    Scenario("resident@demo.local", "500103", 1, VALVE_MID, 1, "解放碑街道", YUZHONG_HOME,
             ("张秀英", "13800138000"), S.inspected),
    Scenario("resident@demo.local", "500103", 2, ALARM_HIGH, 2, "解放碑街道", YUZHONG_HOME,
             ("张秀英", "13800138000"), S.installed),
    Scenario("resident@demo.local", "500103", 3, VALVE_LOW, 1, "解放碑街道", YUZHONG_HOME,
             ("张秀英", "13800138000"), S.refunded, reason="下单重复了，已在另一个订单购买自闭阀。"),
    Scenario("resident.poor@demo.local", "500103", 1, VALVE_LOW, 1, "化龙桥街道", "渝中区化龙桥街道红岩村 12 号 1-3",
             ("刘德福", "13608312345"), S.scheduled),
    Scenario("resident.lowincome@demo.local", "500103", 2, VALVE_LOW, 1, "七星岗街道",
             "渝中区七星岗街道中山一路 45 号 6-2", ("周桂兰", "13752236789"), S.confirmed),
    Scenario("resident.lowincome@demo.local", "500103", 3, ALARM_MID, 1, "七星岗街道",
             "渝中区七星岗街道中山一路 45 号 6-2", ("周桂兰", "13752236789"), S.scheduled,
             failed_inspection="报警器装在吊柜内侧，泄漏的燃气不易到达；天然气比空气轻，应装在距顶棚 0.3 米以内、"
                               "距灶具水平 8 米以内的墙面上。请移位重新安装。"),
    Scenario("resident.rejected@demo.local", "500103", 1, ALARM_LOW, 1, "大溪沟街道", "渝中区大溪沟街道人和街 7 号 4-4",
             ("吴志强", "13883164321"), S.canceled, reason="想再比较一下其他品牌的报警器。"),
    # (the complaints demo delists supplier 9: this paid order is then flagged and its resident offered a refund)
    Scenario("resident2@demo.local", "500105", 9, VALVE_MID, 1, "观音桥街道", "江北区观音桥街道建新北路 16 号 2-1",
             ("陈建国", "13900139000"), S.paid),
    Scenario("resident2@demo.local", "500105", 4, ALARM_LOW, 1, "观音桥街道", "江北区观音桥街道建新北路 16 号 2-1",
             ("陈建国", "13900139000"), S.pending_payment, declined_first=True),
    Scenario("org@demo.local", "500103", 1, COMMERCIAL_ALARM, 2, "解放碑街道", "渝中区解放碑街道八一路 27 号 1 楼",
             ("王店长", "13320288866"), S.scheduled),
)


@dataclass
class Placed:
    """A scenario's order while the seed moves it along."""

    scenario: Scenario
    order: Order
    user: User
    first_device: int


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _offer(scenario: Scenario) -> Offer | None:
    """The scenario's product as its district's current list offers it today (None when not listed)."""
    district = list_queries.district_by_code(scenario.code)
    staff = _user(f"supplier{scenario.supplier}@demo.local")
    company = supplier_of(staff) if staff is not None else None
    version = list_queries.current_version(district) if district is not None else None
    if company is None or version is None:
        return None
    device_type, tier, usage = scenario.product
    for supplier in version.suppliers:
        if supplier.get("id") != company.id:
            continue
        for product in supplier.get("products", []):
            if (product.get("device_type"), product.get("tier"), product.get("usage")) == (
                    device_type.value, tier.value, usage.value if usage else None):
                return current_offer(district, product["id"], today_shanghai())
    return None


def _exists(user: User, product_id: int) -> bool:
    return db.session.scalar(select(Order.id).join(OrderLine).where(
        Order.resident_id == user.id, OrderLine.product_id == product_id).limit(1)) is not None


def _details(scenario: Scenario, user: User, offer: Offer) -> OrderDetails:
    township = db.session.scalar(select(Township.id).where(Township.district_id == offer.district.id,
                                                           Township.name == scenario.township))
    claim = claim_in_force(user) if not user.is_organisation else None
    community = claim.old_community_id if claim is not None and claim.district_id == offer.district.id else None
    # installed at once: wanted today; otherwise in a few days
    wanted = today_shanghai() + timedelta(days=0 if scenario.reaches(S.installed) else 3)
    return OrderDetails(quantity=scenario.quantity, township_id=township, community_id=community,
                        address=scenario.address, contact_name=scenario.contact[0],
                        contact_phone=scenario.contact[1], building_over_100m=bool(user.building_over_100m),
                        preferred_date=wanted)


def _to_place() -> list[tuple[Scenario, User, Offer, int]]:
    """The scenarios still to seed, with their resident, offer and first device number."""
    found, device = [], 1
    for scenario in SCENARIOS:
        first, device = device, device + scenario.quantity
        user, offer = _user(scenario.email), _offer(scenario)
        if user is None or offer is None:
            click.echo(f"orders demo: {scenario.email} / supplier{scenario.supplier}: nothing to order, skipped")
            continue
        if not _exists(user, offer.product_id):
            found.append((scenario, user, offer, first))
    return found


def _in_days(days: int, hour: int) -> datetime:
    """An appointment `days` from today at `hour` o'clock in Chongqing."""
    return datetime.combine(today_shanghai() + timedelta(days=days), time(hour), SHANGHAI)


def seed() -> None:
    """Place, pay, fulfil and inspect the demo orders that do not exist yet (see SCENARIOS)."""
    todo = _to_place()
    if not todo:
        return
    with demo_provider() as provider:
        placed = _place_and_pay(provider, todo)
        _fulfil(placed)
        db.session.commit()
        _cancel(provider, placed)


def _place_and_pay(provider: DemoProvider, todo) -> list[Placed]:
    """Place the orders (oldest scenario first: it takes the household's subsidy), open their checkout pages,
    pay them on the hosted page (or decline a card) and let the provider's events make them paid."""
    placed = []
    for scenario, user, offer, first in todo:
        order = place_order(user, offer, _details(scenario, user, offer))
        if order.payable:
            start_payment(order, actor=user)
        placed.append(Placed(scenario, order, user, first))
    db.session.commit()
    for item in placed:
        if not item.order.payable:
            continue
        card = CARD_DECLINED if item.scenario.declined_first else CARD_PAID
        pays = item.scenario.reaches(S.paid)
        if not pays and not item.scenario.declined_first:
            continue
        status = provider.pay(item.order.payments[-1].checkout_session_id, card)
        if status not in ((303,) if pays else (400, 402)):
            raise click.ClickException(
                f"orders demo: the stub's checkout page answered {status} for order {item.order.number}; its "
                "database may hold payments of an earlier app database (delete it and run seed-demo again)")
    provider.deliver({item.order.id for item in placed})
    db.session.commit()
    for item in placed:
        if item.scenario.reaches(S.paid) and item.order.state != S.paid:
            raise click.ClickException(f"orders demo: order {item.order.number} was not paid ({item.order.state})")
    return placed


def _fulfil(placed: list[Placed]) -> None:
    """The supplier's appointments and installations, the residents' confirmations, the inspections."""
    installing = [item for item in placed if item.scenario.reaches(S.installed)]
    for item in placed:
        if item.scenario.reaches(S.scheduled) and not item.scenario.reaches(S.installed):
            schedule_order(item.order, actor=_staff(item), appointment_at=_in_days(2, 10),
                           note="请家中留人，安装约需 40 分钟。")
    # those installed today: the appointment a moment from now, the installation once it has come
    latest = now_utc()
    for item in installing:
        latest = now_utc() + timedelta(seconds=1)
        schedule_order(item.order, actor=_staff(item), appointment_at=latest)
    sleep(max(0.0, (latest - now_utc()).total_seconds()) + 0.01)
    for item in installing:
        install_order(item.order, actor=_staff(item), installed_at=now_utc(), devices=_devices(item))
        if item.scenario.reaches(S.confirmed):
            confirm_order(item.order, actor=item.user)
        inspector = _user(INSPECTOR.format(code=item.scenario.code))
        if item.scenario.failed_inspection and inspector is not None:
            record_inspection(item.order, actor=inspector, passed=False, notes=item.scenario.failed_inspection)
            schedule_order(item.order, actor=_staff(item), appointment_at=_in_days(3, 14),
                           note="按验收意见移位重装报警器。")
        elif item.scenario.reaches(S.inspected) and inspector is not None:
            record_inspection(item.order, actor=inspector, passed=True,
                              notes="安装牢固，关阀和报警联动测试正常，标识可读。")


def _cancel(provider: DemoProvider, placed: list[Placed]) -> None:
    """The residents' cancellations: an unpaid order closes its checkout page, a paid one is refunded in full
    (the refund's event makes it refunded)."""
    canceling = [item for item in placed if item.scenario.target in (S.canceled, S.refunded)]
    if not canceling:
        return
    for item in canceling:
        cancel_order(item.order, actor=item.user, reason=item.scenario.reason)
    db.session.commit()
    for item in canceling:
        if item.scenario.target == S.refunded:
            request_refund(item.order, actor=item.user)
    db.session.commit()
    provider.deliver({item.order.id for item in canceling})
    db.session.commit()
    for item in canceling:
        if item.order.state != item.scenario.target:
            raise click.ClickException(f"orders demo: order {item.order.number} is {item.order.state}, "
                                       f"not {item.scenario.target}")


def _staff(item: Placed) -> User:
    return _user(f"supplier{item.scenario.supplier}@demo.local")


def _devices(item: Placed) -> list[DeviceInput]:
    """One identifier, carrier and serial number per unit (mid and high tiers carry an active module)."""
    carrier = "passive" if item.scenario.product[1] == Tier.low else "active"
    model = item.order.lines[0].description.split()[-1]
    return [DeviceInput(IDENTIFIER.format(n), carrier, f"{model}-{n:06d}")
            for n in range(item.first_device, item.first_device + item.scenario.quantity)]
