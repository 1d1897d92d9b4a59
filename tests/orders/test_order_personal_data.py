"""Personal data on orders (SPEC 8, PIPL): the address and contact are shown in full only to the resident, the
order's supplier and the district's officials (and the district's inspector once there is an installation to
check), masked for everyone else; every unmasked view by someone other than the resident is audited; the
fields are encrypted at rest and never copied into the audit log, the timeline or the inbox.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from core.audit import AuditEntry
from core.crypto import decrypt, mask_phone
from core.db import db
from core.notifications import Notification
from core.permissions import Role
from core.personal_data import VIEWED, mask_address, mask_name
from orders.models import INSTALLED_STATES, Order, OrderEvent, OrderState
from orders.paying import cancel_order
from tests.conftest import login, make_user
from tests.orders import order_helpers
from tests.orders.fulfil_helpers import S, make_order, make_world

ADDRESS, NAME, PHONE = "解放碑街道民族路 88 号 3 单元 502", "王小明", "13800138000"  # as make_order stores them
PERSONAL_FIELDS = ["address", "contact_name", "contact_phone"]
RESIDENT_PAGES = ("/orders/{id}", "/orders/{id}/receipt")


@pytest.fixture
def world():
    return make_world()


def _views() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == VIEWED).order_by(AuditEntry.id)))


def _page(client, url: str, order: Order) -> str:
    response = client.get(url.format(id=order.id))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _assert_unmasked(html: str) -> None:
    assert ADDRESS in html and NAME in html and PHONE in html


def _assert_masked(html: str) -> None:
    assert mask_address(ADDRESS) in html and mask_name(NAME) in html and mask_phone(PHONE) in html
    assert ADDRESS not in html and NAME not in html and PHONE not in html
    assert "民族路 88 号" not in html and "3 单元 502" not in html  # no part of the address past the street


def _assert_one_view_by(viewer, order: Order, resident) -> None:
    [view] = _views()
    assert view.actor_id == viewer.id and view.target_type == "Order" and view.target_id == str(order.id)
    assert view.after == {"subject_user_id": resident.id, "fields": PERSONAL_FIELDS}
    assert PHONE not in str(view.after) and ADDRESS not in str(view.after)  # names the fields, never the values


def test_the_masks_keep_only_the_family_name_the_street_and_the_ends_of_the_number():
    assert (mask_name(NAME), mask_address(ADDRESS), mask_phone(PHONE)) == ("王**", "解放碑街道民****", "138****8000")


@pytest.mark.parametrize("url", RESIDENT_PAGES)
def test_the_resident_sees_their_own_contact_in_full_and_no_view_is_audited(client, world, url):
    order = make_order(world, S.scheduled)
    login(client, world.resident)
    _assert_unmasked(_page(client, url, order))
    assert _views() == []


@pytest.mark.parametrize("url", [*RESIDENT_PAGES, "/supplier/orders/{id}"])
def test_the_orders_supplier_sees_the_contact_in_full_and_each_view_is_audited(client, world, url):
    order = make_order(world, S.scheduled)
    login(client, world.staff)
    _assert_unmasked(_page(client, url, order))
    _assert_one_view_by(world.staff, order, world.resident)
    _page(client, url, order)
    assert len(_views()) == 2  # every view, not only the first


@pytest.mark.parametrize("url", RESIDENT_PAGES)
def test_the_districts_official_sees_the_contact_in_full_and_the_view_is_audited(client, world, url):
    order = make_order(world, S.paid)
    login(client, world.official)
    _assert_unmasked(_page(client, url, order))
    _assert_one_view_by(world.official, order, world.resident)


@pytest.mark.parametrize("state", list(OrderState))
@pytest.mark.parametrize("url", RESIDENT_PAGES)
def test_the_regulator_sees_the_contact_masked_in_every_state(client, world, url, state):
    order = make_order(world, state)
    login(client, make_user(Role.regulator))
    _assert_masked(_page(client, url, order))
    assert _views() == []


@pytest.mark.parametrize("state", list(OrderState))
@pytest.mark.parametrize("url", [*RESIDENT_PAGES, "/inspections/{id}"])
def test_the_districts_inspector_sees_the_contact_only_once_installed(client, world, url, state):
    order = make_order(world, state)
    login(client, world.inspector)
    html = _page(client, url, order)
    if state in INSTALLED_STATES:
        _assert_unmasked(html)
        _assert_one_view_by(world.inspector, order, world.resident)
    else:
        _assert_masked(html)
        assert _views() == []


def test_the_suppliers_and_inspectors_lists_mask_the_contact(client, world):
    order = make_order(world, S.confirmed)
    for user, url in ((world.staff, "/supplier/orders"), (world.inspector, "/inspections")):
        login(client, user)
        html = _page(client, url, order)
        assert order.number in html and NAME not in html and PHONE not in html and ADDRESS not in html
    assert _views() == []


def test_the_personal_fields_are_encrypted_at_rest(world):
    order = make_order(world, S.paid)
    twin = make_order(world, S.paid)
    rows = db.session.execute(text("SELECT id, address, contact_name, contact_phone FROM purchase_order "
                                   "ORDER BY id")).all()
    stored = {row[0]: row[1:] for row in rows}
    for raw in stored.values():
        for value, plain in zip(raw, (ADDRESS, NAME, PHONE), strict=True):
            assert plain not in value and "民族路" not in value and "138" not in value
            assert decrypt(value) == plain
    assert set(stored[order.id]).isdisjoint(stored[twin.id])  # a fresh nonce each time: equal values look different
    db.session.expire_all()
    assert (db.session.get(Order, order.id).address, db.session.get(Order, order.id).contact_phone) == (ADDRESS, PHONE)


def test_an_order_placed_through_the_form_keeps_its_contact_out_of_logs_timeline_and_inbox(client, paying):
    shop = order_helpers.listed()
    resident = make_user(Role.resident)
    login(client, resident)
    filled = order_helpers.form(shop, address="较场口 9 号 2 单元 301", contact_name="赵六一",
                                contact_phone="13912345678")
    assert client.post(order_helpers.order_url(shop), data=filled).status_code == 303
    [order] = order_helpers.orders_of(resident)
    assert order.contact_phone == "13912345678"
    login(client, shop.official)
    assert "13912345678" in client.get(f"/orders/{order.id}").get_data(as_text=True)
    raw = db.session.execute(text("SELECT address, contact_name, contact_phone FROM purchase_order")).one()
    written = [repr(raw)]
    for model in (AuditEntry, OrderEvent, Notification):
        written += [repr({c.name: getattr(row, c.name) for c in model.__table__.columns})
                    for row in db.session.scalars(select(model))]
    for plain in ("较场口 9 号", "2 单元 301", "赵六一", "13912345678"):
        assert all(plain not in line for line in written), plain
    assert [v.actor_id for v in _views()] == [shop.official.id]


@pytest.mark.parametrize(("who", "url"), [("regulator", "/orders/{id}"), ("inspector", "/orders/{id}"),
                                          ("inspector", "/inspections/{id}")])
def test_a_masked_page_does_not_name_the_resident_in_the_timeline(client, world, who, url):
    order = make_order(world, S.pending_payment)
    cancel_order(order, actor=world.resident, reason=None)  # a timeline entry made by the resident
    db.session.commit()
    login(client, make_user(Role.regulator) if who == "regulator" else world.inspector)
    html = _page(client, url, order)
    assert world.resident.display_name not in html and "订单已取消" in html
    login(client, world.staff)  # who may see the contact sees who did what
    assert world.resident.display_name in _page(client, url.replace("/inspections/", "/orders/"), order)
