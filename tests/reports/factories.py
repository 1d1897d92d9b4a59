"""A small hand-built dataset for the report tests, every row inserted with explicit times.

渝中区 (500103), townships 解放碑 and 七星岗; 江北区 (500105) for the "other district" rows. In Chongqing time:

- A: old-community household, 解放碑, valve (low) with a ¥100 subsidy: placed and paid in October, installed and
  confirmed on 3–4 November, inspection passed on 10 November (changes state across the month boundary).
- B: other household, 七星岗, alarm (mid) ¥328: placed 5 November, canceled unpaid the next day.
- C: low-income household, 七星岗, valve (low) with a ¥50 subsidy: placed and paid 7 November, canceled 8th,
  refunded 9th.
- D: low-income household, 七星岗, valve (low) with a ¥50 subsidy: placed at 2026-11-30T16:30Z — 00:30 on
  1 December in Chongqing, so December — and paid on 1 December.
- E: other household, 解放碑, alarm (mid) ¥870: placed and paid 15 November, installed 20th, confirmed 21st,
  inspection failed 25th (back to scheduled: installed in November, but no household covered).
- F: 江北区, other household, valve: placed, paid and installed in November (never in 渝中区's figures).
- G: a valve an inspector registered outside the platform in 七星岗 for a low-income household, 18 November.
- Cases about 渝中区: one received 2 November, accepted 3rd, concluded 10th (due 20th: on time); one received
  5 November, due 25th, still open (overdue at the month's end). One about 江北区.
- One alarm at A's valve, opened and closed on 19 November.
- Targets: 渝中区 解放碑 old-community valves 10, 解放碑 other alarms 5, 七星岗 low-income valves 4; 江北区 other
  valves 8.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from catalog.models import DeviceType, Tier
from complaints.models import Case, CaseCategory, CaseKind, CaseState, Finding
from core.accounts.models import User
from core.db import db
from core.permissions import Role
from devices.models import Alarm, AlarmOutcome, AlarmState, Carrier, DeviceState, InstalledDevice
from orders.models import Inspection, InspectionResult, Order, OrderLine, OrderState
from registry.districts.models import Target, Township
from tests.conftest import district, make_user
from tests.orders.order_helpers import listed
from tests.registry.factories import make_product

_n = itertools.count(1)
ADDRESS = "渝中区民族路 188 号 7 单元 1203"
PHONE = "13912345678"
NAME = "测试张三丰"


def utc(text: str) -> datetime:
    """An instant written in UTC ("2026-11-30T16:30")."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def cq(text: str) -> datetime:
    """An instant written in Chongqing time ("2026-11-03 10:00"), as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) - timedelta(hours=8)


@dataclass
class Dataset:
    official: User
    other_official: User
    regulator: User
    inspector: User
    jiefangbei: Township
    qixinggang: Township
    orders: dict[str, Order] = field(default_factory=dict)


def make_order(world, *, resident: User, township: Township | None, product, category: str, state: OrderState,
               created: datetime, paid: datetime | None = None, installed: datetime | None = None,
               confirmed: datetime | None = None, inspected: datetime | None = None,
               canceled: datetime | None = None, refunded: datetime | None = None, subsidy_fen: int = 0,
               price_fen: int | None = None, code: str | None = None) -> Order:
    price = product.price_fen if price_fen is None else price_fen
    subtotal = price + 5000
    amount = subtotal - subsidy_fen
    was_paid = paid is not None
    order = Order(
        resident_id=resident.id, district_id=district(code or world.code).id,
        township_id=township.id if township else None, supplier_id=product.supplier_id,
        list_version_id=world.version.id, state=state, address=ADDRESS, contact_name=NAME, contact_phone=PHONE,
        subtotal_fen=subtotal, subsidy_fen=subsidy_fen, amount_fen=amount, paid_fen=amount if was_paid else 0,
        refunded_fen=amount if refunded else 0, household_category=category,
        subsidy_category=category if subsidy_fen else None, payment_attempts=1 if was_paid else 0,
        paid_at=paid, appointment_at=installed or (paid + timedelta(days=2) if state == OrderState.scheduled and paid
                                                   else None),
        installed_at=installed, confirmed_at=confirmed, inspected_at=inspected, canceled_at=canceled,
        refunded_at=refunded, created_at=created, updated_at=created,
        lines=[OrderLine(product_id=product.id, quantity=1, unit_price_fen=price, install_fee_fen=5000,
                         published_price_fen=price, subsidy_fen=subsidy_fen, device_type=product.device_type,
                         tier=product.tier, description="测试产品")])
    db.session.add(order)
    db.session.flush()
    return order


def make_installed_device(order: Order | None, *, product=None, district_code: str, township: Township | None,
                          category: str, installed: datetime, device_type=DeviceType.self_closing_valve,
                          state: DeviceState = DeviceState.active) -> InstalledDevice:
    n = next(_n)
    device = InstalledDevice(
        identifier=f"88.118.8/RPT-{n:06d}", carrier=Carrier.active, serial=f"RSN{n:06d}",
        product_id=getattr(product, "id", None), supplier_id=getattr(product, "supplier_id", None),
        device_type=getattr(product, "device_type", device_type), order_id=order.id if order else None,
        owner_id=order.resident_id if order else None, district_id=district(district_code).id,
        township_id=township.id if township else None, installed_at=installed, installed_on=installed.date(),
        replace_by=date(2031, 1, 1), state=state, state_at=installed, address=ADDRESS, household_category=category,
        brand_model=None if order else "外购阀门 X1", created_at=installed, updated_at=installed)
    db.session.add(device)
    db.session.flush()
    return device


def make_case(code: str, *, received: datetime, due_on: date, accepted: datetime | None = None,
              closed: datetime | None = None) -> Case:
    n = next(_n)
    state = CaseState.closed if closed else (CaseState.accepted if accepted else CaseState.submitted)
    case = Case(number=f"JB-2026-{900000 + n:06d}", kind=CaseKind.report, category=CaseCategory.inflated_price,
                state=state, supplier_name="某安装公司", district_id=district(code).id, description="价格虚高",
                received_at=received, accepted_at=accepted, closed_at=closed, due_on=due_on,
                finding=Finding.substantiated if closed else None, finding_text="属实" if closed else None,
                created_at=received, updated_at=received)
    db.session.add(case)
    db.session.flush()
    return case


def build() -> Dataset:
    """The dataset described above, committed."""
    world = listed("500103")
    other_world = listed("500105")
    jiefangbei = world.township
    qixinggang = Township(district_id=district("500103").id, name="七星岗街道")
    db.session.add(qixinggang)
    db.session.flush()
    valve = world.valve
    alarm = make_product(world.supplier, Tier.mid, device_type=DeviceType.leak_alarm, usage="household")
    resident = make_user(Role.resident, display_name="报表居民")
    data = Dataset(official=world.official, other_official=other_world.official,
                   regulator=make_user(Role.regulator), inspector=make_user(Role.inspector, districts=("500103",)),
                   jiefangbei=jiefangbei, qixinggang=qixinggang)
    S = OrderState  # noqa: N806 - short, like the state tables in orders.models
    o = data.orders
    o["A"] = make_order(world, resident=resident, township=jiefangbei, product=valve, category="old_community",
                        state=S.inspected, created=cq("2026-10-20 09:00"), paid=cq("2026-10-21 10:00"),
                        installed=cq("2026-11-03 10:00"), confirmed=cq("2026-11-04 10:00"),
                        inspected=cq("2026-11-10 10:00"), subsidy_fen=10000, price_fen=19900)
    o["B"] = make_order(world, resident=resident, township=qixinggang, product=alarm, category="other",
                        state=S.canceled, created=cq("2026-11-05 09:00"), canceled=cq("2026-11-06 09:00"),
                        price_fen=32800)
    o["C"] = make_order(world, resident=resident, township=qixinggang, product=valve, category="low_income",
                        state=S.refunded, created=cq("2026-11-07 09:00"), paid=cq("2026-11-07 09:30"),
                        canceled=cq("2026-11-08 09:00"), refunded=cq("2026-11-09 09:00"), subsidy_fen=5000,
                        price_fen=19900)
    o["D"] = make_order(world, resident=resident, township=qixinggang, product=valve, category="low_income",
                        state=S.paid, created=utc("2026-11-30T16:30"), paid=utc("2026-11-30T18:00"),
                        subsidy_fen=5000, price_fen=15900)
    o["E"] = make_order(world, resident=resident, township=jiefangbei, product=alarm, category="other",
                        state=S.scheduled, created=cq("2026-11-15 09:00"), paid=cq("2026-11-15 09:10"),
                        installed=cq("2026-11-20 10:00"), confirmed=cq("2026-11-21 10:00"), price_fen=87000)
    o["F"] = make_order(other_world, resident=resident, township=other_world.township, product=other_world.valve,
                        category="other", state=S.installed, created=cq("2026-11-10 09:00"),
                        paid=cq("2026-11-10 09:10"), installed=cq("2026-11-12 10:00"), code="500105")
    db.session.add_all([
        Inspection(order_id=o["A"].id, inspector_id=data.inspector.id, result=InspectionResult.passed, notes="",
                   at=cq("2026-11-10 10:00")),
        Inspection(order_id=o["E"].id, inspector_id=data.inspector.id, result=InspectionResult.failed,
                   notes="报警器安装位置过高", at=cq("2026-11-25 10:00"))])
    device_a = make_installed_device(o["A"], product=valve, district_code="500103", township=jiefangbei,
                                     category="old_community", installed=cq("2026-11-03 10:00"))
    make_installed_device(o["E"], product=alarm, district_code="500103", township=jiefangbei, category="other",
                          installed=cq("2026-11-20 10:00"), state=DeviceState.offline)
    make_installed_device(o["F"], product=other_world.valve, district_code="500105", township=other_world.township,
                          category="other", installed=cq("2026-11-12 10:00"))
    make_installed_device(None, district_code="500103", township=qixinggang, category="low_income",
                          installed=cq("2026-11-18 12:00"))
    make_case("500103", received=cq("2026-11-02 09:00"), accepted=cq("2026-11-03 09:00"),
              closed=cq("2026-11-10 09:00"), due_on=date(2026, 11, 20))
    make_case("500103", received=cq("2026-11-05 09:00"), due_on=date(2026, 11, 25))
    make_case("500105", received=cq("2026-11-06 09:00"), due_on=date(2026, 11, 26))
    db.session.add(Alarm(device_id=device_a.id, district_id=district("500103").id, supplier_id=valve.supplier_id,
                         state=AlarmState.closed, opened_at=cq("2026-11-19 08:00"), value=35.0,
                         closed_at=cq("2026-11-19 09:00"), outcome=AlarmOutcome.false_alarm,
                         created_at=cq("2026-11-19 08:00"), updated_at=cq("2026-11-19 09:00")))
    yuzhong, jiangbei = district("500103").id, district("500105").id
    db.session.add_all([
        Target(district_id=yuzhong, township_id=jiefangbei.id, category="old_community",
               device_type=DeviceType.self_closing_valve, count=10),
        Target(district_id=yuzhong, township_id=jiefangbei.id, category="other", device_type=DeviceType.leak_alarm,
               count=5),
        Target(district_id=yuzhong, township_id=qixinggang.id, category="low_income",
               device_type=DeviceType.self_closing_valve, count=4),
        Target(district_id=jiangbei, township_id=other_world.township.id, category="other",
               device_type=DeviceType.self_closing_valve, count=8)])
    db.session.commit()
    return data
