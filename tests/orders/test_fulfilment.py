"""Fulfilment: the supplier schedules and installs (devices enter the register), the district's inspector checks."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import AuditEntry
from core.clock import now_utc, to_shanghai
from core.db import db
from core.errors import DomainError, InvalidTransition, NotAllowed
from core.notifications import Notification
from core.permissions import Role
from devices.models import DeviceState, InstalledDevice
from devices.services import DeviceInput
from orders import fulfilment
from orders.models import InspectionResult, Order, OrderState
from tests.conftest import login, make_user
from tests.orders.fulfil_helpers import S, inputs, installed_order, make_order, make_world, reload
from tests.suppliers.factories import make_staff
from tests.test_english_everywhere import ALLOWED, CJK, _data_text, html_text


@pytest.fixture
def world():
    return make_world()



def _actions(order: Order) -> list[str]:
    """What was audited on the order, views of its personal data aside."""
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_id == str(order.id), AuditEntry.target_type == "Order",
        AuditEntry.action != "personal_data.viewed").order_by(AuditEntry.id)))


def _inbox(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _devices(order: Order) -> list[InstalledDevice]:
    return list(db.session.scalars(select(InstalledDevice).where(InstalledDevice.order_id == order.id)
                                   .order_by(InstalledDevice.id)))


def _appointment_form(moment) -> dict:
    local = to_shanghai(moment)
    return {"appointment_date": local.strftime("%Y-%m-%d"), "appointment_time": local.strftime("%H:%M"),
            "note": "师傅上午到，请留人在家"}


def _install_form(rows, moment=None) -> dict:
    local = to_shanghai(moment or now_utc() - timedelta(hours=1))
    data = {"installed_date": local.strftime("%Y-%m-%d"), "installed_time": local.strftime("%H:%M")}
    for i, (identifier, carrier, serial) in enumerate(rows):
        data.update({f"devices-{i}-identifier": identifier, f"devices-{i}-carrier": carrier,
                     f"devices-{i}-serial": serial})
    return data


def _text(response) -> str:
    return response.get_data(as_text=True)


# Scheduling ------------------------------------------------------------------------------------------------


def test_scheduling_a_paid_order_sets_the_appointment_and_tells_resident_and_supplier(world):
    order = make_order(world, S.paid)
    when = now_utc() + timedelta(days=2)
    fulfilment.schedule_order(order, actor=world.staff, appointment_at=when, note="上午九点")
    db.session.commit()
    order = reload(order)
    assert order.state == S.scheduled and abs(order.appointment_at.replace(tzinfo=None)
                                              - when.replace(tzinfo=None)) < timedelta(seconds=1)
    assert order.appointment_note == "上午九点"
    assert [e.to_state for e in order.events] == ["scheduled"] and order.events[0].note == "上午九点"
    assert "order.scheduled" in _actions(order) and "order.appointment_set" in _actions(order)
    for user in (world.resident, world.staff):
        assert any(n.link == f"/orders/{order.id}" for n in _inbox(user))


def test_rescheduling_changes_the_time_without_a_state_change_and_tells_both(world):
    order = make_order(world, S.scheduled)
    events_before = len(order.events)
    later = now_utc() + timedelta(days=5)
    fulfilment.schedule_order(order, actor=world.staff, appointment_at=later, note="用户要求改期")
    db.session.commit()
    order = reload(order)
    assert order.state == S.scheduled
    [event] = order.events[events_before:]
    assert event.from_state is None and event.to_state is None and event.params["when"] in event.message % event.params
    assert event.note == "用户要求改期"
    for user in (world.resident, world.staff):
        [note] = _inbox(user)
        assert order.number in note.subject_text and to_shanghai(later).strftime("%Y-%m-%d %H:%M") in note.subject_text
    assert _actions(order) == ["order.appointment_set"]


@pytest.mark.parametrize("offset", [timedelta(minutes=-5), timedelta(days=61)])
def test_an_appointment_in_the_past_or_beyond_sixty_days_is_refused(world, offset):
    order = make_order(world, S.paid)
    with pytest.raises(DomainError) as caught:
        fulfilment.schedule_order(order, actor=world.staff, appointment_at=now_utc() + offset, note="")
    assert caught.value.field == "appointment_date"


def test_only_staff_of_the_orders_supplier_may_schedule(world):
    order = make_order(world, S.paid)
    with pytest.raises(NotAllowed):
        fulfilment.schedule_order(order, actor=world.other_staff, appointment_at=now_utc() + timedelta(days=1))


# Installation ----------------------------------------------------------------------------------------------


def test_installation_registers_each_device_for_the_household(world):
    order = make_order(world, S.scheduled, quantity=2)
    order.household_category = "old_community"
    db.session.commit()
    at = now_utc() - timedelta(hours=3)
    fulfilment.install_order(order, actor=world.staff, installed_at=at,
                             devices=[DeviceInput("88.118.8/gs-2026-000001", "passive", "SN0001"),
                                      DeviceInput("88.118.8/GS-2026-000002", "active", "SN0002")])
    db.session.commit()
    order = reload(order)
    assert order.state == S.installed
    assert abs(order.installed_at.replace(tzinfo=None) - at.replace(tzinfo=None)) < timedelta(seconds=1)
    devices = _devices(order)
    assert [d.identifier for d in devices] == ["88.118.8/GS-2026-000001", "88.118.8/GS-2026-000002"]
    assert [str(d.carrier) for d in devices] == ["passive", "active"] and [d.serial for d in devices] == [
        "SN0001", "SN0002"]
    for d in devices:
        assert d.state == DeviceState.active and d.owner_id == world.resident.id
        assert d.district_id == order.district_id and d.supplier_id == world.supplier.id
        assert d.product_id == world.product.id and d.registered_by_id == world.staff.id
        assert d.replace_by == d.installed_on.replace(year=d.installed_on.year + 10)  # a valve lives 10 years
        assert d.household_category == "old_community"  # the order's, for the monthly report's coverage
    assert "order.installed" in _actions(order)
    assert len(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "device.registered")).all()) == 2
    assert any(order.number in n.subject_text for n in _inbox(world.inspector))  # the inspector hears of it


@pytest.mark.parametrize("count", [1, 3])
def test_installation_needs_exactly_one_device_per_unit(world, count):
    order = make_order(world, S.scheduled, quantity=2)
    with pytest.raises(DomainError) as caught:
        fulfilment.install_order(order, actor=world.staff, installed_at=now_utc(),
                                 devices=inputs(*[f"GS-2026-{i:06d}" for i in range(count)]))
    assert caught.value.field == "devices"
    db.session.rollback()
    assert reload(order).state == S.scheduled and _devices(order) == []


@pytest.mark.parametrize(("device", "field"), [
    (DeviceInput("ab", "passive", "SN1"), "devices-0-identifier"),
    (DeviceInput("GS 2026 0001", "passive", "SN1"), "devices-0-identifier"),
    (DeviceInput("GS-2026-0001", "wifi", "SN1"), "devices-0-carrier"),
    (DeviceInput("GS-2026-0001", "passive", ""), "devices-0-serial"),
    (DeviceInput("GS-2026-0001", "passive", "SN 1<script>"), "devices-0-serial"),
])
def test_a_bad_identifier_carrier_or_serial_is_refused_naming_the_field(world, device, field):
    order = make_order(world, S.scheduled)
    with pytest.raises(DomainError) as caught:
        fulfilment.install_order(order, actor=world.staff, installed_at=now_utc(), devices=[device])
    assert caught.value.field == field


def test_an_identifier_registered_anywhere_in_the_city_is_refused(world):
    installed_order(world, "GS-2026-777777")
    order = make_order(world, S.scheduled, quantity=2)
    with pytest.raises(DomainError) as caught:
        fulfilment.install_order(order, actor=world.staff, installed_at=now_utc(),
                                 devices=inputs("GS-2026-000001", "gs-2026-777777"))
    assert caught.value.field == "devices-1-identifier" and "GS-2026-777777" in caught.value.message
    db.session.rollback()
    assert reload(order).state == S.scheduled and _devices(order) == []


def test_the_same_identifier_twice_in_one_order_is_refused(world):
    order = make_order(world, S.scheduled, quantity=2)
    with pytest.raises(DomainError) as caught:
        fulfilment.install_order(order, actor=world.staff, installed_at=now_utc(),
                                 devices=inputs("GS-2026-000001", "GS-2026-000001"))
    assert caught.value.field == "devices-1-identifier"


@pytest.mark.parametrize("moment", ["future", "before_paid"])
def test_the_installation_time_is_not_in_the_future_nor_before_payment(world, moment):
    order = make_order(world, S.scheduled)
    at = now_utc() + timedelta(hours=1) if moment == "future" else order.paid_at - timedelta(minutes=1)
    with pytest.raises(DomainError) as caught:
        fulfilment.install_order(order, actor=world.staff, installed_at=at, devices=inputs("GS-2026-000001"))
    assert caught.value.field == "installed_date"


def test_installing_before_scheduling_is_an_invalid_transition(world):
    order = make_order(world, S.paid)
    with pytest.raises(InvalidTransition):
        fulfilment.install_order(order, actor=world.staff, installed_at=now_utc(), devices=inputs("GS-2026-000001"))


# Inspection ------------------------------------------------------------------------------------------------


def test_a_passed_inspection_makes_the_order_inspected_and_tells_everyone(world):
    order = installed_order(world, "GS-2026-000010", confirmed=True)
    fulfilment.record_inspection(order, actor=world.inspector, passed=True, notes="阀门动作正常")
    db.session.commit()
    order = reload(order)
    assert order.state == S.inspected and order.inspected_at is not None
    [inspection] = order.inspections
    assert inspection.result == InspectionResult.passed and inspection.inspector_id == world.inspector.id
    assert inspection.notes == "阀门动作正常"
    assert "order.inspected" in _actions(order)
    for user in (world.resident, world.staff, world.official):
        assert any(order.number in n.subject_text for n in _inbox(user))


def test_a_failed_inspection_needs_notes(world):
    order = installed_order(world, "GS-2026-000011", confirmed=True)
    with pytest.raises(DomainError) as caught:
        fulfilment.record_inspection(order, actor=world.inspector, passed=False, notes="   ")
    assert caught.value.field == "notes"


def test_a_failed_inspection_reopens_the_installation_and_the_same_devices_can_be_refitted(world):
    order = installed_order(world, "GS-2026-000020", "GS-2026-000021", confirmed=True)
    fulfilment.record_inspection(order, actor=world.inspector, passed=False, notes="阀门安装位置离灶具过近，需移位")
    db.session.commit()
    order = reload(order)
    assert order.state == S.scheduled and order.installed_at is None and order.confirmed_at is None
    assert order.inspections[-1].result == InspectionResult.failed
    assert order.events[-1].note == "阀门安装位置离灶具过近，需移位"
    for user in (world.resident, world.staff):
        assert any("不合格" in n.subject_text for n in _inbox(user))
    # the supplier fixes it and records the same two devices again (one re-labelled serial)
    fulfilment.schedule_order(order, actor=world.staff, appointment_at=now_utc() + timedelta(days=1))
    fulfilment.install_order(order, actor=world.staff, installed_at=now_utc(),
                             devices=[DeviceInput("GS-2026-000020", "passive", "SN-NEW-1"),
                                      DeviceInput("GS-2026-000021", "active", "SN-000021")])
    db.session.commit()
    order = reload(order)
    assert order.state == S.installed
    devices = _devices(order)
    assert len(devices) == 2 and [d.serial for d in devices] == ["SN-NEW-1", "SN-000021"]
    assert all(d.state == DeviceState.active for d in devices)
    order.state, order.confirmed_at = S.confirmed, now_utc()
    db.session.commit()
    fulfilment.record_inspection(order, actor=world.inspector, passed=True, notes="")
    db.session.commit()
    assert reload(order).state == S.inspected
    assert [i.result for i in reload(order).inspections] == [InspectionResult.failed, InspectionResult.passed]


def test_only_an_inspector_of_the_orders_district_may_inspect(world):
    order = installed_order(world, "GS-2026-000030", confirmed=True)
    for actor in (world.other_inspector, world.staff, world.official):
        with pytest.raises(NotAllowed):
            fulfilment.record_inspection(order, actor=actor, passed=True, notes="")
    assert reload(order).state == S.confirmed and reload(order).inspections == []


def test_an_installation_the_resident_has_not_confirmed_cannot_be_inspected(world):
    order = installed_order(world, "GS-2026-000031")
    with pytest.raises(InvalidTransition) as caught:
        fulfilment.record_inspection(order, actor=world.inspector, passed=True, notes="")
    assert "确认" in caught.value.message


# Pages of the supplier -------------------------------------------------------------------------------------


def test_the_queue_shows_only_the_suppliers_own_orders_with_counts_and_next_actions(client, world):
    mine = [make_order(world, S.paid), make_order(world, S.scheduled), make_order(world, S.paid)]
    theirs = make_order(world, S.paid, supplier=world.other_supplier, product=world.other_product)
    login(client, world.staff)
    html = _text(client.get("/supplier/orders"))
    for order in mine:
        assert order.number in html
    assert theirs.number not in html
    assert "预约上门时间" in html and "上门安装并登记设备" in html  # the next action of each
    assert re.search(r"已支付，待预约 <span class=\"badge text-bg-light\">2</span>", html)
    assert html.index(mine[2].number) < html.index(mine[0].number)  # newest first
    assert "王小明" not in html and "王**" in html  # the list masks the contact


def test_the_queue_filters_by_state_and_by_date(client, world):
    old = make_order(world, S.paid, created_at=now_utc() - timedelta(days=10))
    new = make_order(world, S.scheduled, appointment_at=now_utc() + timedelta(days=20))
    login(client, world.staff)
    assert new.number in _text(client.get("/supplier/orders?state=scheduled"))
    assert old.number not in _text(client.get("/supplier/orders?state=scheduled"))
    day = to_shanghai(now_utc() - timedelta(days=10)).strftime("%Y-%m-%d")
    html = _text(client.get(f"/supplier/orders?date_field=created&date_from={day}&date_to={day}"))
    assert old.number in html and new.number not in html
    appointment_day = to_shanghai(now_utc() + timedelta(days=20)).strftime("%Y-%m-%d")
    html = _text(client.get(f"/supplier/orders?date_field=appointment&date_from={appointment_day}"))
    assert new.number in html and old.number not in html


def test_nul_bytes_in_the_filters_are_refused_without_an_error(client, world):
    login(client, world.staff)
    assert client.get("/supplier/orders?date_field=%00&state=%00&date_from=%00").status_code == 400


@pytest.mark.parametrize(("query", "message"), [
    ("date_from=2026-13-45", "日期格式应为 YYYY-MM-DD"),
    ("date_to=yesterday", "日期格式应为 YYYY-MM-DD"),
    ("date_from=2020-12-10&date_to=2020-12-01", "截止日期不能早于起始日期"),
    ("state=lost", "没有这个订单状态"),
    ("date_field=other&date_from=2026-1-1", "日期格式应为 YYYY-MM-DD"),
    ("page=99999999999999999999&tab=x", "订单"),
])
def test_bad_filters_give_a_clear_message_not_an_error(client, world, query, message):
    order = make_order(world, S.paid)
    login(client, world.staff)
    response = client.get(f"/supplier/orders?{query}")
    assert response.status_code == 200 and message in _text(response)
    if "page" not in query:
        assert order.number in _text(response)  # the bad filter is ignored, the rest still works


def test_the_queue_is_paginated(client, world):
    orders = [make_order(world, S.paid) for _ in range(23)]
    login(client, world.staff)
    first, second = _text(client.get("/supplier/orders")), _text(client.get("/supplier/orders?page=2"))
    assert orders[-1].number in first and orders[0].number not in first and orders[0].number in second
    assert "共 23 个订单" in first


def test_the_devices_tab_lists_what_the_supplier_installed(client, world):
    order = installed_order(world, "GS-2026-555555")
    installed_order_other = make_order(world, S.paid, supplier=world.other_supplier, product=world.other_product)
    login(client, world.staff)
    html = _text(client.get("/supplier/orders?tab=devices"))
    assert "GS-2026-555555" in html and order.number in html and installed_order_other.number not in html


def test_the_working_page_shows_the_unmasked_contact_and_records_the_view(client, world):
    order = make_order(world, S.scheduled, quantity=2)
    login(client, world.staff)
    html = _text(client.get(f"/supplier/orders/{order.id}"))
    assert "王小明" in html and "13800138000" in html and "民族路 88 号" in html
    assert 'data-order-state="scheduled"' in html
    assert f'action="/supplier/orders/{order.id}/cancel"' in html and 'name="reason"' in html
    assert 'name="csrf_token"' in html
    assert 'name="devices-1-identifier"' in html and 'name="devices-2-identifier"' not in html  # one row per unit
    assert re.search(r'<input[^>]*name="devices-0-carrier"[^>]*type="radio" value="passive"', html)
    [view] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.viewed")).all()
    assert view.actor_id == world.staff.id and view.target_id == str(order.id)


def test_schedule_and_install_through_the_pages(client, world):
    order = make_order(world, S.paid)
    login(client, world.staff)
    when = now_utc() + timedelta(days=1)
    response = client.post(f"/supplier/orders/{order.id}/schedule", data=_appointment_form(when))
    assert response.status_code == 302
    assert "已预约上门时间" in _text(client.get(response.location))
    assert reload(order).state == S.scheduled
    response = client.post(f"/supplier/orders/{order.id}/install",
                           data=_install_form([("88.118.8/GS-0001", "active", "SN-A1")]))
    assert response.status_code == 302
    assert reload(order).state == S.installed and [d.identifier for d in _devices(order)] == ["88.118.8/GS-0001"]


def test_a_refused_device_is_shown_next_to_its_field_and_nothing_is_kept(client, world):
    installed_order(world, "GS-2026-999999")
    order = make_order(world, S.scheduled, quantity=2)
    login(client, world.staff)
    response = client.post(f"/supplier/orders/{order.id}/install", data=_install_form(
        [("GS-2026-000001", "passive", "SN1"), ("GS-2026-999999", "passive", "SN2")]))
    html = _text(response)
    assert response.status_code == 400
    assert re.search(r'id="devices-1-identifier-error"[^>]*>[^<]*全市唯一', html)
    assert 'value="GS-2026-000001"' in html  # what the installer typed is kept
    assert reload(order).state == S.scheduled and _devices(order) == []


def test_an_incomplete_installation_form_is_refused_with_field_errors(client, world):
    order = make_order(world, S.scheduled, quantity=2)
    login(client, world.staff)
    response = client.post(f"/supplier/orders/{order.id}/install",
                           data=_install_form([("GS-2026-000001", "passive", "SN1"), ("", "", "")]))
    assert response.status_code == 400
    html = _text(response)
    for name in ("identifier", "carrier", "serial"):
        assert f'id="devices-1-{name}-error"' in html or f'id="devices-1-{name}-0"' in html
    assert html.count('class="invalid-feedback d-block"') == 3
    response = client.post(f"/supplier/orders/{order.id}/install",
                           data=_install_form([("GS-2026-000001", "passive", "SN1")]))
    assert response.status_code == 400 and "本订单共 2 台设备" in _text(response)
    assert reload(order).state == S.scheduled


@pytest.mark.parametrize("data", [
    {"appointment_date": "2026-02-30", "appointment_time": "09:00"},
    {"appointment_date": "", "appointment_time": ""},
    {"appointment_date": "tomorrow", "appointment_time": "25:99"},
])
def test_a_bad_appointment_is_refused_with_a_message(client, world, data):
    order = make_order(world, S.paid)
    login(client, world.staff)
    response = client.post(f"/supplier/orders/{order.id}/schedule", data=data)
    assert response.status_code == 400 and 'aria-invalid="true"' in _text(response)
    assert reload(order).state == S.paid


def test_an_appointment_in_the_past_through_the_page_names_the_field(client, world):
    order = make_order(world, S.paid)
    login(client, world.staff)
    response = client.post(f"/supplier/orders/{order.id}/schedule",
                           data=_appointment_form(now_utc() - timedelta(days=1)))
    assert response.status_code == 400 and "预约时间须晚于现在" in _text(response)


SUPPLIER_ACTIONS = {
    "schedule": ({S.paid, S.scheduled}, lambda: _appointment_form(now_utc() + timedelta(days=1))),
    "install": ({S.scheduled}, lambda: _install_form([("GS-2026-424242", "passive", "SN42")])),
}


@pytest.mark.parametrize(("action", "state"), [(action, state) for action in sorted(SUPPLIER_ACTIONS)
                                                for state in OrderState if state not in SUPPLIER_ACTIONS[action][0]])
def test_every_supplier_action_in_a_wrong_state_is_refused_and_changes_nothing(client, world, action, state):
    _allowed, form = SUPPLIER_ACTIONS[action]
    order = make_order(world, state)
    version, events = order.version_id, len(order.events)
    login(client, world.staff)
    response = client.post(f"/supplier/orders/{order.id}/{action}", data=form())
    assert response.status_code == 409 and "不能变为" in _text(response)
    order = reload(order)
    assert order.state == state and order.version_id == version and len(order.events) == events
    assert _devices(order) == [] and _actions(order) == []


def _change_elsewhere(order_id: int) -> None:
    """Another worker's request: change the order and commit in its own session."""
    with Session(db.engine) as other:
        other.get(Order, order_id).appointment_note = "另一位员工刚改过"
        other.commit()


def test_a_concurrent_change_gives_a_clear_message_and_keeps_nothing(client, world, monkeypatch):
    order = make_order(world, S.paid)
    real = fulfilment.schedule_order

    def racing(order, **kwargs):
        _change_elsewhere(order.id)
        return real(order, **kwargs)

    monkeypatch.setattr(fulfilment, "schedule_order", racing)
    login(client, world.staff)
    response = client.post(f"/supplier/orders/{order.id}/schedule",
                           data=_appointment_form(now_utc() + timedelta(days=1)))
    assert response.status_code == 409 and "该订单刚被他人修改" in _text(response)
    order = reload(order)
    assert order.state == S.paid and order.appointment_note == "另一位员工刚改过" and _actions(order) == []


# Pages of the inspector ------------------------------------------------------------------------------------


def test_the_inspectors_list_shows_their_districts_awaiting_and_installed_orders(client, world):
    awaiting = installed_order(world, "GS-2026-100001", confirmed=True)
    installed = installed_order(world, "GS-2026-100002")
    elsewhere = make_order(world, S.confirmed, code="500105")
    login(client, world.inspector)
    html = _text(client.get("/inspections"))
    assert awaiting.number in html and installed.number in html and elsewhere.number not in html
    assert "王小明" not in html and "解放碑街道" in html  # masked address: enough to plan the round
    assert html.index(awaiting.number) < html.index("已安装、待用户确认") < html.index(installed.number)


def test_an_inspector_of_several_districts_can_filter_by_district(client, world):
    both = make_user(Role.inspector, districts=("500103", "500105"))
    here = make_order(world, S.confirmed)
    there = make_order(world, S.confirmed, code="500105")
    login(client, both)
    html = _text(client.get("/inspections"))
    assert here.number in html and there.number in html and 'name="district"' in html
    html = _text(client.get(f"/inspections?district={there.district_id}"))
    assert there.number in html and here.number not in html
    html = _text(client.get("/inspections?district=99999999999999"))  # junk: all of their districts
    assert there.number in html and here.number in html


def test_the_inspection_page_records_a_pass_through_the_form(client, world):
    order = installed_order(world, "GS-2026-200001", confirmed=True)
    login(client, world.inspector)
    html = _text(client.get(f"/inspections/{order.id}"))
    assert "GS-2026-200001" in html and "王小明" in html and 'name="result"' in html
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.viewed",
                                                       AuditEntry.actor_id == world.inspector.id)).all()
    response = client.post(f"/inspections/{order.id}", data={"result": "passed", "notes": ""})
    assert response.status_code == 302 and reload(order).state == S.inspected
    assert order.number in _text(client.get("/inspections"))  # among the recent inspections


def test_a_failed_check_without_notes_is_refused_on_the_page(client, world):
    order = installed_order(world, "GS-2026-200002", confirmed=True)
    login(client, world.inspector)
    response = client.post(f"/inspections/{order.id}", data={"result": "failed", "notes": ""})
    assert response.status_code == 400 and "验收不合格时必须填写意见" in _text(response)
    assert reload(order).state == S.confirmed and reload(order).inspections == []
    response = client.post(f"/inspections/{order.id}", data={"result": "failed", "notes": "报警器未固定"})
    assert response.status_code == 302 and reload(order).state == S.scheduled
    login(client, world.staff)
    html = _text(client.get(f"/supplier/orders/{order.id}"))
    assert "报警器未固定" in html and "验收不合格：整改后重新安装" in html


@pytest.mark.parametrize("state", [s for s in OrderState if s != S.confirmed])
def test_inspecting_an_order_that_is_not_confirmed_is_refused(client, world, state):
    order = make_order(world, state)
    login(client, world.inspector)
    response = client.post(f"/inspections/{order.id}", data={"result": "passed", "notes": ""})
    assert response.status_code == 409
    assert reload(order).state == state and reload(order).inspections == []


def test_an_unknown_result_is_refused(client, world):
    order = make_order(world, S.confirmed)
    login(client, world.inspector)
    response = client.post(f"/inspections/{order.id}", data={"result": "maybe", "notes": "x"})
    assert response.status_code == 400 and reload(order).state == S.confirmed


# Who may see what ------------------------------------------------------------------------------------------


def _urls(order) -> list[tuple[str, str, dict]]:
    return [("GET", "/supplier/orders", {}), ("GET", f"/supplier/orders/{order.id}", {}),
            ("POST", f"/supplier/orders/{order.id}/schedule", _appointment_form(now_utc() + timedelta(days=1))),
            ("POST", f"/supplier/orders/{order.id}/install", _install_form([("GS-2026-313131", "passive", "S1")])),
            ("GET", "/inspections", {}), ("GET", f"/inspections/{order.id}", {}),
            ("POST", f"/inspections/{order.id}", {"result": "passed", "notes": ""})]


#: who → the status of each URL of `_urls` (in order).
MATRIX = {
    "other_staff": [200, 404, 404, 404, 403, 403, 403],
    "other_inspector": [403, 403, 403, 403, 200, 404, 404],
    "resident": [403, 403, 403, 403, 403, 403, 403],
    "official": [403, 403, 403, 403, 403, 403, 403],
    "unaffiliated_supplier": [403, 403, 403, 403, 403, 403, 403],
    "anonymous": [302, 302, 302, 302, 302, 302, 302],
}


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_permission_matrix_over_every_fulfilment_url(client, world, who):
    order = installed_order(world, "GS-2026-000100", confirmed=True)
    order_state = order.state
    users = {"other_staff": world.other_staff, "other_inspector": world.other_inspector,
             "resident": world.resident, "official": world.official,
             "unaffiliated_supplier": make_user(Role.supplier)}
    if who in users:
        login(client, users[who])
    for (method, url, data), expected in zip(_urls(order), MATRIX[who], strict=True):
        response = client.open(url, method=method, data=data)
        assert response.status_code == expected, (method, url)
        if expected == 302:
            assert "/login" in response.location
        assert order.number not in _text(response)  # never another company's or district's order
    order = reload(order)
    assert order.state == order_state and order.inspections == []
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.viewed")).all() == []


def test_the_orders_own_staff_and_inspector_reach_their_pages(client, world):
    order = installed_order(world, "GS-2026-000200", confirmed=True)
    colleague = make_staff(world.supplier)
    login(client, colleague)
    assert client.get(f"/supplier/orders/{order.id}").status_code == 200
    assert client.get("/inspections").status_code == 403
    login(client, world.inspector)
    assert client.get(f"/inspections/{order.id}").status_code == 200
    assert client.get(f"/supplier/orders/{order.id}").status_code == 403


def test_the_menu_offers_orders_to_suppliers_and_inspections_to_inspectors(client, world):
    login(client, world.staff)
    assert 'href="/supplier/orders"' in _text(client.get("/"))
    login(client, world.inspector)
    html = _text(client.get("/"))
    assert 'href="/inspections"' in html and 'href="/supplier/orders"' not in html


# English ---------------------------------------------------------------------------------------------------


def test_the_fulfilment_pages_speak_english(client, world):
    order = installed_order(world, "GS-2026-300001", confirmed=True)
    fulfilment.record_inspection(order, actor=world.inspector, passed=False, notes="需整改")
    db.session.commit()
    fulfilment.schedule_order(order, actor=world.staff, appointment_at=now_utc() + timedelta(days=1))
    db.session.commit()
    data = "\n".join([_data_text(), order.address, order.contact_name])  # personal data is encrypted at rest
    pages = [(world.staff, "/supplier/orders"), (world.staff, "/supplier/orders?tab=devices"),
             (world.staff, f"/supplier/orders/{order.id}"), (world.staff, "/supplier/orders?date_from=junk"),
             (world.inspector, "/inspections"), (world.inspector, f"/inspections/{order.id}")]
    for user, url in pages:
        login(client, user)
        text = html_text(_text(client.get(url + ("&" if "?" in url else "?") + "lang=en")))
        leaks = {m.group() for m in CJK.finditer(text) if m.group() not in ALLOWED and m.group() not in data}
        assert not leaks, (url, leaks)
