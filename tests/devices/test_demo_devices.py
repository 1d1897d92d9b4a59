"""seed-demo's device data (issue 14 item 6): demo keys that work, heartbeats, one open and one closed alarm in
渝中区, an offline device, devices for every installed demo order; a second run adds nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.accounts.models import User
from core.audit import AuditEntry
from core.clock import now_utc
from core.db import as_utc, db
from core.notifications import Notification
from devices import demo as devices_demo
from devices.models import (
    Alarm,
    AlarmOutcome,
    AlarmState,
    Carrier,
    DeviceEvent,
    DeviceState,
    EventType,
    InstalledDevice,
)
from orders.models import INSTALLED_STATES, Order
from suppliers import keys
from suppliers.keys import PlatformKey
from suppliers.queries import supplier_of
from tests.conftest import district
from tests.devices.factories import bearer


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def _counts() -> dict[str, int]:
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (PlatformKey, DeviceEvent, Alarm, Notification, AuditEntry, InstalledDevice)}


def _alarms(state: AlarmState) -> list[Alarm]:
    return list(db.session.scalars(select(Alarm).where(Alarm.district_id == district("500103").id,
                                                       Alarm.state == state)))


def test_seed_demo_prints_working_keys_and_a_second_run_adds_nothing(app, client, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    supplier_token, utility_token = devices_demo.supplier_token(1), devices_demo.utility_token()
    lines = first.output.splitlines()
    company = supplier_of(_user("supplier1@demo.local"))
    supplier_line = next(line for line in lines if line.endswith(supplier_token))
    assert "POST /api/v1/device-events" in supplier_line and company.legal_name in supplier_line
    utility_line = next(line for line in lines if line.endswith(utility_token))
    assert "渝中区" in utility_line and "/api/v1/utility/" in utility_line
    assert lines.index(supplier_line) < lines.index(utility_line)
    # the tokens match the key format and are stored hashed, never in the clear
    for token in (supplier_token, utility_token):
        assert keys.KEY_PATTERN.match(token)
        key = keys.authenticate(token)
        assert key is not None and key.secret_hash != token and token not in key.secret_hash
    assert keys.authenticate(supplier_token).supplier_id == company.id
    assert keys.authenticate(utility_token).district_ids == {district("500103").id}
    db.session.commit()
    assert db.session.scalars(select(AuditEntry).where(AuditEntry.action == "platform_key.created")).all()
    # the keys work on the API: the supplier's posts, the utility's reads 渝中区
    device = db.session.scalar(select(InstalledDevice).where(InstalledDevice.supplier_id == company.id,
                                                             InstalledDevice.carrier == Carrier.active))
    at = (now_utc() - timedelta(minutes=1)).isoformat()
    answer = client.post("/api/v1/device-events", headers=bearer(supplier_token),
                         json={"events": [{"id": "test-hb-1", "identifier": device.identifier, "type": "heartbeat",
                                           "at": at, "value": None}]})
    assert answer.status_code == 200 and answer.get_json()["accepted"] == 1, answer.get_json()
    listing = client.get("/api/v1/utility/devices?district=500103", headers=bearer(utility_token))
    assert listing.status_code == 200
    assert {d["district"] for d in listing.get_json()["devices"]} == {"500103"}
    assert client.post("/api/v1/device-events", headers=bearer(utility_token), json={"events": []}).status_code == 403
    assert client.get("/api/v1/utility/devices", headers=bearer(supplier_token)).status_code == 403

    before = _counts()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    db.session.expire_all()
    assert _counts() == before
    assert supplier_token in second.output and utility_token in second.output


def test_demo_devices_heartbeats_alarms_and_an_offline_device(app, demo):
    now = now_utc()
    # devices for every demo order that reached installation, each with the order's address
    for order in db.session.scalars(select(Order)):
        if order.state in INSTALLED_STATES or order.inspections:
            devices = db.session.scalars(select(InstalledDevice).where(InstalledDevice.order_id == order.id)).all()
            assert len(devices) == order.device_count and all(d.address for d in devices), order
    monitored = devices_demo.plan(devices_demo.demo_devices()).monitored
    assert len(monitored) >= 3
    # three days of heartbeats (one a day) for every monitored device, posted with its company's key
    for device in monitored:
        beats = db.session.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device.id,
                                                             DeviceEvent.type == EventType.heartbeat)).all()
        assert beats and all(b.key_id is not None and b.supplier_id == device.supplier_id for b in beats)
        if device.state != DeviceState.offline:
            assert len(beats) == 3
            assert {(now - as_utc(b.at)).days for b in beats} == {0, 1, 2}
            assert now - as_utc(device.last_seen_at) < timedelta(hours=1)
    assert {db.session.get(PlatformKey, k).kind for k in db.session.scalars(select(DeviceEvent.key_id))} == {"supplier"}
    # one offline device: its last heartbeat two days ago, audited
    offline = db.session.scalars(select(InstalledDevice).where(InstalledDevice.state == DeviceState.offline)).all()
    assert len(offline) == 1
    assert now - as_utc(offline[0].last_seen_at) > timedelta(hours=app.config["DEVICE_OFFLINE_HOURS"])
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "device.offline",
                                                      AuditEntry.target_id == str(offline[0].id)))
    assert db.session.scalar(select(Notification).where(Notification.user_id == offline[0].owner_id,
                                                        Notification.params["identifier"].as_string()
                                                        == offline[0].identifier))


def test_demo_alarms_one_open_at_the_resident_and_one_closed_in_yuzhong(demo):
    now = now_utc()
    [open_alarm] = _alarms(AlarmState.open)
    resident = _user("resident@demo.local")
    assert open_alarm.device.owner_id == resident.id
    assert open_alarm.value == pytest.approx(18.0)
    assert timedelta(0) < now - as_utc(open_alarm.opened_at) < timedelta(minutes=15)
    assert open_alarm.valve_closed_at is not None and open_alarm.device.state == DeviceState.alarm
    assert open_alarm.escalated_at is None
    # the intake told the resident, the company's staff and the district's inspectors within the seed
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.params["identifier"].as_string() == open_alarm.device.identifier)))
    assert resident.id in told
    assert _user("inspector.500103@demo.local").id in told
    assert told & {u.id for u in open_alarm.device.supplier.staff}

    [closed] = _alarms(AlarmState.closed)
    assert closed.device_id != open_alarm.device_id and closed.outcome == AlarmOutcome.leak_fixed and closed.note
    opened, acknowledged, finished = (as_utc(closed.opened_at), as_utc(closed.acknowledged_at),
                                      as_utc(closed.closed_at))
    assert opened < acknowledged < finished < now - timedelta(days=1)
    assert closed.acknowledged_by_id == closed.closed_by_id == _user("inspector.500103@demo.local").id
    assert closed.cleared_at is not None and closed.device.state == DeviceState.active
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "Alarm",
                                                                     AuditEntry.target_id == str(closed.id))))
    assert {"alarm.opened", "alarm.acknowledged", "alarm.closed"} <= actions
    assert not _alarms(AlarmState.acknowledged)


def test_key_lines_lists_only_live_demo_keys(demo):
    lines = devices_demo.key_lines()
    assert any(line.endswith(devices_demo.supplier_token(1)) for line in lines)
    assert lines[-1].endswith(devices_demo.utility_token())
    key = keys.authenticate(devices_demo.utility_token())
    assert keys.revoke_key(key, None)
    db.session.commit()
    assert not any(devices_demo.utility_token() in line for line in devices_demo.key_lines())
    assert keys.authenticate(devices_demo.utility_token()) is None


def test_demo_keys_are_refused_in_production(app, db):
    app.config["ENV_NAME"] = "production"
    try:
        with pytest.raises(RuntimeError):
            devices_demo.ensure_demo_key(devices_demo.utility_token(), name="x", districts=[district("500103")])
    finally:
        app.config["ENV_NAME"] = "testing"
    assert db.session.scalar(select(func.count()).select_from(PlatformKey)) == 0


def test_seed_without_demo_accounts_does_nothing(db):
    devices_demo.seed()
    assert db.session.scalar(select(func.count()).select_from(PlatformKey)) == 1  # the utility key of 渝中区 only
    assert devices_demo.key_lines()[-1].endswith(devices_demo.utility_token())
    assert db.session.scalar(select(func.count()).select_from(DeviceEvent)) == 0
