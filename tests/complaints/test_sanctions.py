"""Sanctions and their effects end to end (SPEC 3.6, issue 12 part 3): warning, rectification, suspension,
delisting from one or every district, blacklist; bad input changes nothing; regulators only."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from complaints import sanctions
from complaints.models import Case, CaseCategory, CaseEvent, CaseKind, CaseState, Sanction, SanctionKind
from complaints.services import next_number
from core.accounts.models import User
from core.audit import AuditEntry
from core.clock import now_utc, today_shanghai
from core.db import db
from core.errors import DomainError
from core.i18n import date_local
from core.notifications import Notification
from core.permissions import Role
from market.search import index, query
from market.search.params import SearchParams
from orders import paying
from orders.models import Order, OrderLine, OrderState
from orders.placing import OrderDetails, place_order
from orders.pricing import current_offer
from payments.gateway import RefundResult
from registry.districts.models import Township
from registry.lists import queries as list_queries
from registry.lists.models import Announcement, AnnouncementKind, ListVersion
from registry.solicitations import services as solicitation_services
from suppliers.models import SupplierStatus
from tests.conftest import district, login, make_user
from tests.registry.factories import make_full_supplier, make_official
from tests.registry.helpers import admit, open_call, published_list
from tests.suppliers.factories import make_staff

S = OrderState
K = SanctionKind
TODAY = today_shanghai()


# -- the world: a supplier listed in 渝中区 (3 suppliers) and 江北区 (3 suppliers), with orders and a case ---------

class World:
    def __init__(self) -> None:
        index.reindex()
        self.official, listed, self.version = published_list("500103", 3)
        self.supplier, self.products = listed[0]
        self.others = [s for s, _p in listed[1:]]
        self.official2 = make_official("500105")
        call = open_call(self.official2, "500105")
        admit(call, self.official2, self.supplier, self.products)
        for _i in range(2):
            other, products = make_full_supplier(districts=("500105",))
            admit(call, self.official2, other, products)
        from registry.lists import services as list_services
        self.version2 = list_services.publish_list(district("500105"), actor=self.official2)
        db.session.commit()
        self.staff = make_staff(self.supplier, display_name="涉事单位员工")
        self.regulator = make_user(Role.regulator)
        self.complainant = make_user(Role.resident, display_name="投诉人张三丰")
        self.case = make_case(self.supplier, complainant=self.complainant)

    @property
    def product(self):
        return self.products[0]


def make_case(supplier, *, state: CaseState = CaseState.accepted, complainant: User | None = None,
              category: CaseCategory = CaseCategory.counterfeit, **fields) -> Case:
    kind = CaseKind.complaint if complainant is not None else CaseKind.report
    now = now_utc()
    case = Case(number=next_number(kind), kind=kind, category=category, supplier_id=supplier.id,
                complainant_id=complainant.id if complainant else None, description="销售假冒报警器，电话 13900001111",
                state=state, received_at=now, **fields)
    if state in (CaseState.accepted, CaseState.investigating, CaseState.closed):
        case.accepted_at = now
    db.session.add(case)
    db.session.commit()
    return case


def make_order(world: World, state: OrderState, *, code: str = "500103", resident: User | None = None) -> Order:
    """An order of the world's supplier inserted within the CHECK constraints."""
    product = world.product
    now = now_utc()
    subtotal = product.price_fen + product.install_fee_fen
    version = list_queries.current_version(district(code))
    order = Order(resident_id=(resident or make_user(Role.resident)).id, district_id=district(code).id,
                  supplier_id=world.supplier.id, list_version_id=version.id, state=state,
                  address="民族路 88 号", contact_name="王小明", contact_phone="13800138000", subtotal_fen=subtotal,
                  subsidy_fen=0, amount_fen=subtotal, paid_fen=0, refunded_fen=0)
    order.lines = [OrderLine(product_id=product.id, quantity=1, unit_price_fen=product.price_fen,
                             install_fee_fen=product.install_fee_fen, published_price_fen=product.price_fen,
                             device_type=product.device_type, tier=product.tier, description=product.model)]
    if state != S.pending_payment:
        order.paid_at, order.paid_fen, order.payment_intent_id = now, subtotal, f"pi_test_{product.id}_{state}"
    if state in (S.scheduled, S.installed):
        order.appointment_at = now + timedelta(days=1)
    if state == S.installed:
        order.installed_at = now
    db.session.add(order)
    db.session.commit()
    return order


@pytest.fixture
def world(db):
    return World()


def found(q: str = "", **params) -> list[int]:
    return query.search(SearchParams(q=q, **params)).ids


def notes_of(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def impose(world: World, kind: SanctionKind, **kwargs) -> Sanction:
    kwargs.setdefault("note", "经查实，销售假冒报警器")
    sanction = sanctions.impose(kwargs.pop("case", world.case), kind, actor=world.regulator, **kwargs)
    db.session.commit()
    return sanction


def reloaded(obj):
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


# -- warning and rectification -------------------------------------------------------------------------------

def test_warning_is_recorded_told_on_the_timeline_and_audited(world):
    sanction = impose(world, K.warning)
    assert sanction.kind == K.warning and sanction.case_id == world.case.id
    assert any("警告" in str(n.params.get("kind")) for n in notes_of(world.staff))
    events = db.session.scalars(select(CaseEvent).where(CaseEvent.case_id == world.case.id)).all()
    assert [e.audience for e in events if e.message == sanctions.IMPOSED_EVENT] == ["all"]
    assert notes_of(world.complainant), "the complainant hears of the outcome"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sanction.imposed"))
    assert reloaded(world.supplier).status == SupplierStatus.verified  # a warning bars nothing
    assert found(world.product.model) == [world.product.id]


def test_rectification_is_tracked_flagged_when_overdue_and_completed(world, client):
    due = TODAY + timedelta(days=10)
    sanction = impose(world, K.rectification, due_on=due)
    assert sanctions.overdue_rectifications(due) == []
    assert sanctions.overdue_rectifications(due + timedelta(days=1)) == [sanction]
    # overdue on the page
    db.session.get(Sanction, sanction.id).due_on = TODAY - timedelta(days=1)
    db.session.commit()
    login(client, world.regulator)
    page = client.get(f"/regulator/suppliers/{world.supplier.id}/sanctions")
    assert page.status_code == 200 and "已逾期" in page.text
    response = client.post(f"/regulator/suppliers/{world.supplier.id}/sanctions/{sanction.id}/complete",
                           data={"note": "已完成整改并提交报告"})
    assert response.status_code == 303
    assert reloaded(sanction).completed_at is not None and reloaded(sanction).completed_note == "已完成整改并提交报告"
    assert sanctions.overdue_rectifications(TODAY + timedelta(days=30)) == []
    with pytest.raises(DomainError):  # only once
        sanctions.complete(reloaded(sanction), actor=world.regulator, note="再次")
    db.session.rollback()


@pytest.mark.parametrize("due", [None, TODAY, TODAY - timedelta(days=1)])
def test_rectification_needs_a_deadline_after_today(world, due):
    with pytest.raises(DomainError) as exc:
        sanctions.impose(world.case, K.rectification, actor=world.regulator, note="整改", due_on=due)
    assert exc.value.field == "due_on"
    db.session.rollback()
    assert count(Sanction) == 0


# -- suspension ----------------------------------------------------------------------------------------------

def test_suspension_takes_products_out_of_search_and_api_and_refuses_orders_until_lifted(world, client):
    product = world.product
    assert found(product.model) == [product.id]
    assert client.get(f"/api/v1/products/{product.id}").status_code == 200
    offer = current_offer(district("500103"), product.id, TODAY)  # read before the sanction (a form open)
    sanction = impose(world, K.suspension)
    assert reloaded(world.supplier).status == SupplierStatus.suspended
    assert found(product.model) == []
    assert not {p.id for p in world.products} & index.indexed_ids(), "gone from the index itself"
    assert client.get(f"/api/v1/products/{product.id}").status_code == 410
    api = client.get(f"/api/v1/products?q={product.model}").get_json()
    assert product.id not in [r["id"] for r in api["results"]]
    assert client.get(f"/products/{product.id}").status_code == 410
    # no new order: the order page says why, and the service refuses an offer read before the suspension
    resident = make_user(Role.resident)
    login(client, resident)
    page = client.get(f"/orders/new?product={product.id}&district=500103")
    assert page.status_code == 404 and "暂停销售安装" in page.text
    township = Township(district_id=district("500103").id, name="解放碑街道")
    db.session.add(township)
    db.session.commit()
    details = OrderDetails(quantity=1, township_id=township.id, community_id=None, address="民族路 1 号",
                           contact_name="王", contact_phone="13800138000", building_over_100m=False,
                           preferred_date=None)
    with pytest.raises(DomainError) as exc:
        place_order(db.session.get(User, resident.id), offer, details)
    assert exc.value.code == "supplier_barred" and "暂停" in exc.value.message
    db.session.rollback()
    assert count(Order) == 0
    # lifting: verified again, the products come back
    sanctions.complete(reloaded(sanction), actor=world.regulator, note="整改到位，恢复")
    db.session.commit()
    assert reloaded(world.supplier).status == SupplierStatus.verified
    assert found(product.model) == [product.id]
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("supplier.status%"))).all()
    assert actions == ["supplier.status_changed", "supplier.status_changed"]


# -- delisting -----------------------------------------------------------------------------------------------

def test_delisting_from_every_district(world, client, monkeypatch):
    pending = make_order(world, S.pending_payment)
    paid = make_order(world, S.paid)
    scheduled = make_order(world, S.scheduled, code="500105")
    installed = make_order(world, S.installed)
    before = {code: list_queries.current_version(district(code)).number for code in ("500103", "500105")}
    sanction = impose(world, K.delisting)

    # a new version without the supplier, and a public announcement with the case number, in each district
    assert sanction.effects["districts"] == ["500103", "500105"]
    for code in ("500103", "500105"):
        current = list_queries.current_version(district(code))
        assert current.number == before[code] + 1
        assert sanction.effects["versions"][code] == current.number
        assert world.supplier.id not in [s["id"] for s in current.suppliers]
        ann = db.session.scalar(select(Announcement).where(
            Announcement.district_id == district(code).id, Announcement.kind == AnnouncementKind.supplier_removed))
        assert ann.case_number == world.case.number
        text = ann.title_text + ann.body_text
        assert world.case.number in text and "制假售假" in text and world.supplier.legal_name in text
        assert "张三丰" not in text and "13900001111" not in text  # never the complainant
    api = client.get("/api/v1/announcements?district=500103&kind=supplier_removed").get_json()
    assert api["announcements"][0]["case_number"] == world.case.number
    # 渝中区 is down to 2 suppliers: its official is told
    assert any("低于最低要求" in n.subject for n in notes_of(world.official))
    assert list_queries.current_version(district("500103")).below_minimum
    # search and API
    assert found(world.product.model) == []
    assert client.get(f"/api/v1/products/{world.product.id}").status_code == 410
    # orders
    assert reloaded(pending).state == S.canceled
    for order in (paid, scheduled):
        order = reloaded(order)
        assert order.state in (S.paid, S.scheduled)
        assert order.supplier_withdrawn_at is not None and order.supplier_withdrawn_case == world.case.number
        assert any(n.link == f"/orders/{order.id}" and "移出目录清单" in n.subject for n in notes_of(order.resident))
    assert reloaded(installed).supplier_withdrawn_at is None and reloaded(installed).state == S.installed
    assert sanction.effects["canceled_orders"] == [pending.number]
    assert sorted(sanction.effects["flagged_orders"]) == sorted([paid.number, scheduled.number])

    # the resident sees the offer and takes the refund
    refunds = []

    def fake_refund(payment_intent_id, amount_fen=None, reason=None, *, idempotency_key):
        refunds.append(payment_intent_id)
        return RefundResult(id="re_withdrawn_1", amount_fen=paid.paid_fen, status="pending")

    monkeypatch.setattr(paying.gateway, "refund", fake_refund)
    login(client, paid.resident)
    page = client.get(f"/orders/{paid.id}")
    assert "安装单位已被移出目录清单" in page.text and "申请全额退款" in page.text and "改选其他安装单位" in page.text
    response = client.post(f"/orders/{paid.id}/cancel", data={"reason": "安装单位已被移出目录清单，申请退款"})
    assert response.status_code == 303
    paid = reloaded(paid)
    assert paid.state == S.canceled and paid.refund_id == "re_withdrawn_1" and refunds == [paid.payment_intent_id]


def test_delisting_from_one_district_leaves_the_other(world):
    order_elsewhere = make_order(world, S.pending_payment, code="500105")
    sanction = impose(world, K.delisting, district=district("500103"))
    assert sanction.effects["districts"] == ["500103"] and sanction.district_id == district("500103").id
    assert world.supplier.id not in [s["id"] for s in list_queries.current_version(district("500103")).suppliers]
    assert world.supplier.id in [s["id"] for s in list_queries.current_version(district("500105")).suppliers]
    assert reloaded(order_elsewhere).state == S.pending_payment
    assert query.search(SearchParams(q=world.product.model)).districts[world.product.id] == ["500105"]
    # not listed there any more: a second delisting from 渝中区 is refused, unchanged
    versions = count(ListVersion)
    with pytest.raises(DomainError):
        sanctions.impose(world.case, K.delisting, actor=world.regulator, note="再次", district=district("500103"))
    db.session.rollback()
    assert count(ListVersion) == versions and count(Sanction) == 1


# -- blacklist -----------------------------------------------------------------------------------------------

def test_blacklist_bars_selling_and_solicitations_until_the_date(world, client):
    until = TODAY + timedelta(days=10)
    impose(world, K.blacklist, until=until)
    supplier = reloaded(world.supplier)
    assert supplier.status == SupplierStatus.blacklisted and supplier.blacklisted_until == until
    assert found(world.product.model) == []
    assert client.get(f"/api/v1/products/{world.product.id}").status_code == 410
    login(client, make_user(Role.resident))
    page = client.get(f"/orders/new?product={world.product.id}&district=500103")
    assert page.status_code == 404 and "黑名单" in page.text
    refusal = solicitation_services.supplier_may_apply(supplier, until)
    assert refusal and date_local(until) in refusal
    assert solicitation_services.supplier_may_apply(supplier, TODAY) == refusal
    # the day after the blacklist's last day it may apply again
    official = make_official("500104")
    call = open_call(official, "500104")
    staff = make_staff(supplier)
    items = [(p.id, p.price_fen, p.install_fee_fen) for p in world.products]
    with pytest.raises(DomainError):
        solicitation_services.apply(call, supplier, actor=staff, items=items, today=until)
    db.session.rollback()
    assert solicitation_services.supplier_may_apply(supplier, until + timedelta(days=1)) is None
    application = solicitation_services.apply(call, reloaded(world.supplier), actor=staff, items=items,
                                              today=until + timedelta(days=1))
    assert application.id is not None
    db.session.commit()


@pytest.mark.parametrize("until", [None, TODAY, TODAY - timedelta(days=3)])
def test_blacklist_needs_an_end_after_today(world, until):
    with pytest.raises(DomainError) as exc:
        sanctions.impose(world.case, K.blacklist, actor=world.regulator, note="拉黑", until=until)
    assert exc.value.field == "until"
    db.session.rollback()
    assert reloaded(world.supplier).status == SupplierStatus.verified and count(Sanction) == 0


def test_lapsed_blacklist_is_lifted(world):
    until = TODAY + timedelta(days=3)
    impose(world, K.blacklist, until=until)
    assert sanctions.lift_lapsed_blacklists(until) == []
    lifted = sanctions.lift_lapsed_blacklists(until + timedelta(days=1))
    db.session.commit()
    assert [s.id for s in lifted] == [world.supplier.id]
    supplier = reloaded(world.supplier)
    assert supplier.status == SupplierStatus.verified and supplier.blacklisted_until is None
    assert found(world.product.model) == [world.product.id]


# -- the page: permissions, the form, bad input ----------------------------------------------------------------

def url(world: World) -> str:
    return f"/regulator/suppliers/{world.supplier.id}/sanctions"


@pytest.mark.parametrize("role", [None, Role.resident, Role.supplier, Role.district_official, Role.admin])
def test_only_regulators_see_or_use_the_page(world, client, role):
    if role is not None:
        login(client, make_user(role, districts=("500103",) if role == Role.district_official else ()))
    page = client.get(url(world))
    assert page.status_code in (302, 401) if role is None else page.status_code == 403
    posted = client.post(url(world), data={"case_number": world.case.number, "kind": "suspension", "note": "x"})
    assert posted.status_code in (302, 401, 403)
    complete = client.post(f"{url(world)}/1/complete", data={"note": "x"})
    assert complete.status_code in (302, 401, 403)
    assert count(Sanction) == 0 and reloaded(world.supplier).status == SupplierStatus.verified


def test_supplier_staff_of_the_company_is_refused_too(world, client):
    login(client, world.staff)
    assert client.get(url(world)).status_code == 403


def test_regulator_page_and_unknown_supplier(world, client):
    login(client, world.regulator)
    page = client.get(url(world))
    assert page.status_code == 200 and world.supplier.legal_name in page.text and "作出处理" in page.text
    assert client.get("/regulator/suppliers/999999/sanctions").status_code == 404
    assert client.post("/regulator/suppliers/999999/sanctions/1/complete", data={"note": "x"}).status_code == 404


def test_regulator_imposes_through_the_form(world, client):
    login(client, world.regulator)
    response = client.post(url(world), data={"case_number": world.case.number.lower(), "kind": "delisting",
                                             "district": str(district("500105").id), "note": "经查实制假售假"})
    assert response.status_code == 303
    sanction = db.session.scalar(select(Sanction))
    assert sanction.kind == K.delisting and sanction.effects["districts"] == ["500105"]
    page = client.get(url(world))
    assert "已作出处理" in page.text and world.case.number in page.text


def _bad_inputs(world: World) -> dict[str, dict]:
    other_supplier = world.others[0]
    other_case = make_case(other_supplier)
    survivor = make_case(world.supplier)
    merged = make_case(world.supplier, state=CaseState.merged, merged_into_id=survivor.id)
    base = {"case_number": world.case.number, "kind": "suspension", "note": "经查实"}
    return {
        "no case": {**base, "case_number": ""},
        "unknown case": {**base, "case_number": "TS-2026-999999"},
        "another supplier's case": {**base, "case_number": other_case.number},
        "merged case": {**base, "case_number": merged.number},
        "missing note": {**base, "note": "  "},
        "no kind": {**base, "kind": ""},
        "unknown kind": {**base, "kind": "fine"},
        "rectification in the past": {**base, "kind": "rectification",
                                      "due_on": (TODAY - timedelta(days=1)).isoformat()},
        "rectification without date": {**base, "kind": "rectification"},
        "blacklist today": {**base, "kind": "blacklist", "until": TODAY.isoformat()},
        "bad date": {**base, "kind": "blacklist", "until": "2026-13-45"},
        "delisting from a district not listing it": {**base, "kind": "delisting",
                                                     "district": str(district("500104").id)},
        "unknown district": {**base, "kind": "delisting", "district": "999999"},
    }


def test_bad_input_changes_nothing(world, client):
    cases = _bad_inputs(world)
    login(client, world.regulator)
    versions, announcements, audits = count(ListVersion), count(Announcement), count(AuditEntry)
    for label, data in cases.items():
        response = client.post(url(world), data=data)
        assert response.status_code in (400, 409), (label, response.status_code)
        assert "alert" in response.text, label
        assert count(Sanction) == 0, label
        assert reloaded(world.supplier).status == SupplierStatus.verified, label
    assert (count(ListVersion), count(Announcement), count(AuditEntry)) == (versions, announcements, audits)
    assert found(world.product.model) == [world.product.id]


def test_every_case_state_but_merged_allows_a_sanction(world):
    for state in (CaseState.submitted, CaseState.investigating, CaseState.closed, CaseState.rejected):
        extra = {}
        if state == CaseState.investigating:
            extra["assigned_to_id"] = world.regulator.id
        if state == CaseState.closed:
            extra.update(finding="substantiated", closed_at=now_utc())
        case = make_case(world.supplier, state=state, **extra)
        impose(world, K.warning, case=case)
    assert count(Sanction) == 4


def test_english_page(world, client):
    login(client, world.regulator)
    impose(world, K.rectification, due_on=TODAY + timedelta(days=5))
    page = client.get(url(world) + "?lang=en")
    assert page.status_code == 200


def test_sanction_always_needs_a_case(world):
    with pytest.raises(DomainError) as exc:
        sanctions.case_for_sanction("", world.supplier)
    assert exc.value.field == "case_number"
    anonymous_seller = Case(number=next_number(CaseKind.report), kind=CaseKind.report, category=CaseCategory.other,
                            supplier_name="路边摊", description="无资质", received_at=now_utc())
    db.session.add(anonymous_seller)
    db.session.commit()
    with pytest.raises(DomainError):
        sanctions.impose(anonymous_seller, K.warning, actor=world.regulator, note="x")
    db.session.rollback()
    assert date.today() and count(Sanction) == 0
