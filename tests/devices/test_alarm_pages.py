"""The gas utility's alarm pages (SPEC 3.4): list, detail, acknowledge, close with an outcome; who sees what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core.audit import AuditEntry
from core.clock import now_utc
from core.db import db
from core.errors import InvalidTransition, NotAllowed
from core.notifications import Notification
from core.permissions import Role
from core.personal_data import VIEWED
from devices import alarms
from devices.models import Alarm, AlarmState, DeviceEvent, DeviceState, EventType
from tests.conftest import login, make_user
from tests.devices.factories import ADDRESS, make_device, make_device_world

MASKED = "解放碑街道民****"


@pytest.fixture
def world():
    return make_device_world()


def make_alarm(device, *, minutes_ago: int = 5, state: AlarmState = AlarmState.open, value: float | None = 35.0,
               **fields) -> Alarm:
    """A committed alarm at `device` (as the intake would open it); the device is put in `alarm`."""
    alarm = Alarm(device_id=device.id, district_id=device.district_id, supplier_id=device.supplier_id,
                  opened_at=now_utc() - timedelta(minutes=minutes_ago), value=value, state=state, **fields)
    if state != AlarmState.closed:
        device.state = DeviceState.alarm
    db.session.add(alarm)
    db.session.commit()
    return alarm


def _device_and_alarm(world, **kwargs):
    device = make_device(world.supplier, world.product, world.resident)
    return device, make_alarm(device, **kwargs)


def _audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _notes(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _page(response) -> str:
    return response.get_data(as_text=True)


# The list -------------------------------------------------------------------------------------------------


def test_list_shows_unacknowledged_first_with_minutes_peak_and_masked_address(client, world):
    old_device, closed = _device_and_alarm(world, state=AlarmState.closed, minutes_ago=3)
    handled_device, handled = _device_and_alarm(world, state=AlarmState.acknowledged, minutes_ago=1)
    device, alarm = _device_and_alarm(world, minutes_ago=12, value=42.5)
    login(client, world.inspector)
    response = client.get("/utility/alarms")
    assert response.status_code == 200
    html = _page(response)
    order = [html.index(f'data-alarm-id="{a.id}"') for a in (alarm, handled, closed)]
    assert order == sorted(order)
    assert "42.5 %LEL" in html and ">12<" in html
    assert ADDRESS not in html and MASKED in html
    assert not _audits(VIEWED)


def test_list_filters_by_state_and_counts_by_state(client, world):
    _device_and_alarm(world)
    _device_and_alarm(world, state=AlarmState.closed)
    login(client, world.inspector)
    html = _page(client.get("/utility/alarms?state=closed"))
    assert html.count('data-alarm-id="') == 1 and 'data-alarm-state="closed"' in html
    assert 'data-count-state="open"' in html
    junk = client.get("/utility/alarms?state=bogus&district=xx&page=abc")
    assert junk.status_code == 200 and _page(junk).count('data-alarm-id="') == 2
    assert "没有这个状态" in _page(junk)


def test_list_shows_escalation_valve_and_cleared(client, world):
    device, late = _device_and_alarm(world, minutes_ago=40)
    _, escalated = _device_and_alarm(world, minutes_ago=50, escalated_at=now_utc())
    _, valve = _device_and_alarm(world, valve_closed_at=now_utc(), cleared_at=now_utc())
    login(client, world.inspector)
    html = _page(client.get("/utility/alarms"))
    assert 'data-escalated="due"' in html and 'data-escalated="yes"' in html
    assert "阀门已关闭" in html and "设备报告燃气已消散" in html


def test_other_districts_alarms_are_not_listed(client, world):
    _device_and_alarm(world)
    login(client, world.other_inspector)
    html = _page(client.get("/utility/alarms"))
    assert "data-alarm-id=" not in html


# The detail -------------------------------------------------------------------------------------------------


def test_detail_shows_the_address_to_the_inspector_while_open_and_records_the_view(client, world):
    device, alarm = _device_and_alarm(world)
    db.session.add(DeviceEvent(supplier_id=world.supplier.id, event_id="e-1", device_id=device.id,
                               type=EventType.alarm, at=alarm.opened_at, value=35.0))
    db.session.commit()
    login(client, world.inspector)
    html = _page(client.get(f"/utility/alarms/{alarm.id}"))
    assert ADDRESS in html and 'data-address="unmasked"' in html
    assert device.identifier in html and world.product.model in html and world.supplier.legal_name in html
    assert 'data-event-type="alarm"' in html
    assert 'name="outcome"' in html and "/acknowledge" in html
    [entry] = _audits(VIEWED)
    assert entry.actor_id == world.inspector.id and entry.after["fields"] == ["address"]
    assert entry.after["subject_user_id"] == world.resident.id


def test_detail_masks_the_address_once_closed(client, world):
    _, alarm = _device_and_alarm(world, state=AlarmState.closed, outcome="false_alarm", closed_at=now_utc())
    login(client, world.inspector)
    html = _page(client.get(f"/utility/alarms/{alarm.id}"))
    assert ADDRESS not in html and MASKED in html and 'name="outcome"' not in html
    assert not _audits(VIEWED)


def test_detail_masks_the_owners_name_and_phone(client, world):
    world.resident.set_phone("13800138000")
    db.session.commit()
    _, alarm = _device_and_alarm(world)
    login(client, world.inspector)
    html = _page(client.get(f"/utility/alarms/{alarm.id}"))
    assert "138****8000" in html and "13800138000" not in html
    assert "王*" in html and "王居民" not in html


def test_official_reads_the_alarm_masked_without_forms(client, world):
    _, alarm = _device_and_alarm(world)
    login(client, world.official)
    assert client.get("/utility/alarms").status_code == 200
    html = _page(client.get(f"/utility/alarms/{alarm.id}"))
    assert ADDRESS not in html and 'name="outcome"' not in html and "/acknowledge" not in html
    assert client.post(f"/utility/alarms/{alarm.id}/acknowledge").status_code == 403
    assert client.post(f"/utility/alarms/{alarm.id}/close", data={"outcome": "false_alarm"}).status_code == 403
    db.session.refresh(alarm)
    assert alarm.state == AlarmState.open and not _audits("alarm.acknowledged")


def test_another_districts_inspector_gets_404(client, world):
    _, alarm = _device_and_alarm(world)
    login(client, world.other_inspector)
    assert client.get(f"/utility/alarms/{alarm.id}").status_code == 404
    assert client.post(f"/utility/alarms/{alarm.id}/acknowledge").status_code == 404
    assert client.post(f"/utility/alarms/{alarm.id}/close", data={"outcome": "false_alarm"}).status_code == 404
    assert client.get("/utility/alarms/999999").status_code == 404
    db.session.refresh(alarm)
    assert alarm.state == AlarmState.open


# Acknowledge ----------------------------------------------------------------------------------------------------


def test_acknowledge_records_who_and_tells_the_resident(client, world):
    _, alarm = _device_and_alarm(world)
    login(client, world.inspector)
    response = client.post(f"/utility/alarms/{alarm.id}/acknowledge", data={"note": "已派人上门"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/utility/alarms/{alarm.id}")
    db.session.refresh(alarm)
    assert alarm.state == AlarmState.acknowledged and alarm.acknowledged_by_id == world.inspector.id
    assert alarm.acknowledged_at is not None and alarm.closed_at is None
    [entry] = _audits("alarm.acknowledged")
    assert entry.before == {"state": "open"} and entry.after["state"] == "acknowledged"
    assert entry.reason == "已派人上门"
    [note] = _notes(world.resident)
    assert "燃气企业正在处理" in note.subject_text and alarm.device.identifier in note.body_text
    assert note.link == "/dashboard#devices"
    html = _page(client.get(f"/utility/alarms/{alarm.id}"))
    assert "已派人上门" in html and "/acknowledge" not in html and 'name="outcome"' in html


def test_acknowledging_twice_is_refused_with_a_message(client, world):
    _, alarm = _device_and_alarm(world)
    login(client, world.inspector)
    client.post(f"/utility/alarms/{alarm.id}/acknowledge")
    second = make_user(Role.inspector, districts=("500103",))
    login(client, second)
    response = client.post(f"/utility/alarms/{alarm.id}/acknowledge")
    assert response.status_code == 409 and "该报警已有人响应" in _page(response)
    db.session.refresh(alarm)
    assert alarm.acknowledged_by_id == world.inspector.id and len(_audits("alarm.acknowledged")) == 1


def test_a_stale_acknowledge_loses_the_race(world):
    _, alarm = _device_and_alarm(world)
    db.session.execute(update(Alarm).where(Alarm.id == alarm.id).values(state=AlarmState.acknowledged)
                       .execution_options(synchronize_session=False))  # another inspector, a moment ago
    assert alarm.state == AlarmState.open  # what this inspector's page saw
    with pytest.raises(InvalidTransition, match="刚被其他人处理"):
        alarms.acknowledge(alarm, world.inspector)
    assert not _audits("alarm.acknowledged")


def test_only_the_districts_inspector_may_act_in_the_service(world):
    _, alarm = _device_and_alarm(world)
    for user in (world.other_inspector, world.official, world.staff, world.resident):
        with pytest.raises(NotAllowed):
            alarms.acknowledge(alarm, user)
        with pytest.raises(NotAllowed):
            alarms.close(alarm, user, "false_alarm")


# Close --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["false_alarm", "leak_fixed", "referred"])
def test_close_with_each_outcome_returns_the_device_and_tells_resident_and_supplier(client, world, outcome):
    device, alarm = _device_and_alarm(world)
    login(client, world.inspector)
    note = "已移交消防救援支队" if outcome == "referred" else ""
    response = client.post(f"/utility/alarms/{alarm.id}/close", data={"outcome": outcome, "note": note})
    assert response.status_code == 303
    db.session.refresh(alarm)
    db.session.refresh(device)
    assert alarm.state == AlarmState.closed and alarm.outcome == outcome and alarm.closed_by_id == world.inspector.id
    assert alarm.acknowledged_at is not None and alarm.acknowledged_by_id == world.inspector.id  # closed unacknowledged
    assert alarm.note == (note or None)
    assert device.state == DeviceState.active
    [closed] = _audits("alarm.closed")
    assert closed.after["outcome"] == outcome and closed.before["state"] == "open"
    [moved] = _audits("device.state_changed")
    assert moved.before == {"state": "alarm"} and moved.after["state"] == "active"
    outcome_words = {"false_alarm": "误报", "leak_fixed": "泄漏已处置", "referred": "已移交"}[outcome]
    for user in (world.resident, world.staff):
        [message] = _notes(user)
        assert outcome_words in message.subject_text and outcome_words in message.body_text
    assert _notes(world.other_staff) == []
    if note:
        assert note in _notes(world.resident)[0].body_text


def test_referred_needs_a_note(client, world):
    _, alarm = _device_and_alarm(world)
    login(client, world.inspector)
    response = client.post(f"/utility/alarms/{alarm.id}/close", data={"outcome": "referred", "note": "   "})
    assert response.status_code == 400 and "写明移交给了谁" in _page(response)
    db.session.refresh(alarm)
    assert alarm.state == AlarmState.open and not _audits("alarm.closed")


def test_close_needs_a_known_outcome(client, world):
    _, alarm = _device_and_alarm(world)
    login(client, world.inspector)
    for data in ({}, {"outcome": "exploded"}, {"outcome": "false_alarm", "note": "x" * 501}):
        assert client.post(f"/utility/alarms/{alarm.id}/close", data=data).status_code == 400
    db.session.refresh(alarm)
    assert alarm.state == AlarmState.open


def test_closing_twice_is_refused(client, world):
    device, alarm = _device_and_alarm(world)
    login(client, world.inspector)
    assert client.post(f"/utility/alarms/{alarm.id}/close", data={"outcome": "false_alarm"}).status_code == 303
    again = client.post(f"/utility/alarms/{alarm.id}/close", data={"outcome": "leak_fixed"})
    assert again.status_code == 409 and "该报警已关闭" in _page(again)
    assert client.post(f"/utility/alarms/{alarm.id}/acknowledge").status_code == 409
    db.session.refresh(alarm)
    assert alarm.outcome == "false_alarm" and len(_audits("alarm.closed")) == 1


def test_a_stale_close_loses_the_race(world):
    _, alarm = _device_and_alarm(world, state=AlarmState.acknowledged)
    db.session.execute(update(Alarm).where(Alarm.id == alarm.id).values(state=AlarmState.closed)
                       .execution_options(synchronize_session=False))
    with pytest.raises(InvalidTransition, match="刚被其他人处理"):
        alarms.close(alarm, world.inspector, "leak_fixed")
    assert not _audits("alarm.closed")


def test_a_device_that_went_to_fault_stays_there(client, world):
    device, alarm = _device_and_alarm(world)
    device.state = DeviceState.fault
    db.session.commit()
    login(client, world.inspector)
    client.post(f"/utility/alarms/{alarm.id}/close", data={"outcome": "leak_fixed"})
    db.session.refresh(device)
    assert device.state == DeviceState.fault and not _audits("device.state_changed")


def test_the_forms_are_csrf_protected(csrf_app, client, world):
    _, alarm = _device_and_alarm(world)
    login(client, world.inspector)
    assert client.post(f"/utility/alarms/{alarm.id}/acknowledge").status_code == 400
    assert client.post(f"/utility/alarms/{alarm.id}/close", data={"outcome": "false_alarm"}).status_code == 400
    db.session.refresh(alarm)
    assert alarm.state == AlarmState.open
    assert 'name="csrf_token"' in _page(client.get(f"/utility/alarms/{alarm.id}"))


# What the resident and the supplier see ------------------------------------------------------------------------


def test_resident_dashboard_shows_an_open_alarm_with_safety_advice(client, world):
    device, alarm = _device_and_alarm(world)
    login(client, world.resident)
    html = _page(client.get("/dashboard"))
    assert 'id="devices"' in html and f'data-alarm-id="{alarm.id}"' in html and "alert-danger" in html
    assert "关闭燃气总阀" in html and "119" in html and "打开门窗" in html
    assert html.index(f'data-alarm-id="{alarm.id}"') < html.index('id="devices"')
    assert 'data-device-state="alarm"' in html


def test_resident_and_supplier_see_the_outcome(client, world):
    device, alarm = _device_and_alarm(world)
    login(client, world.inspector)
    client.post(f"/utility/alarms/{alarm.id}/close", data={"outcome": "referred", "note": "已移交物业"})
    login(client, world.resident)
    html = _page(client.get("/dashboard"))
    assert "关闭燃气总阀" not in html and "处置结果：已移交" in html and "已移交物业" in html
    login(client, world.staff)
    html = _page(client.get(f"/supplier/devices/{device.id}"))
    assert 'data-alarm-outcome="referred"' in html and "已移交物业" in html
    html = _page(client.get("/supplier/devices"))
    assert "正在报警" not in html


def test_another_residents_dashboard_shows_no_alarm(client, world):
    _, alarm = _device_and_alarm(world)
    login(client, world.other_resident)
    assert f'data-alarm-id="{alarm.id}"' not in _page(client.get("/dashboard"))


def test_alarms_for_orders_open_first_then_newest(world):
    devices = [make_device(world.supplier, world.product, world.resident) for _ in range(3)]
    closed = make_alarm(devices[0], minutes_ago=1, state=AlarmState.closed)
    older = make_alarm(devices[1], minutes_ago=30)
    newer = make_alarm(devices[2], minutes_ago=2)
    page = alarms.alarms_for({devices[0].district_id}, page=1)
    assert [a.id for a in page.items] == [newer.id, older.id, closed.id]
    assert [a.id for a in alarms.alarms_for({devices[0].district_id}, state=AlarmState.closed, page=1).items] == [
        closed.id]
    assert db.session.scalar(select(func.count()).select_from(Alarm)) == 3
