"""POST /api/v1/device-events item by item (SPEC 3.4): what is accepted, what is a duplicate, what is rejected
and why, what the events do to the register, and who hears of an alarm within the same request."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.clock import now_utc
from core.db import as_utc, db
from core.notifications import Notification
from devices.models import Alarm, AlarmState, DeviceEvent, DeviceState, InstalledDevice
from suppliers import keys
from tests.devices.factories import bearer, make_device, make_device_world, supplier_key, utility_key

URL = "/api/v1/device-events"


@pytest.fixture
def world(db):
    return make_device_world()


@pytest.fixture
def device(world):
    return make_device(world.supplier, world.product, world.resident)


@pytest.fixture
def token(world):
    return supplier_key(world.supplier)[1]


def ago(**delta) -> str:
    return (now_utc() - timedelta(**delta)).isoformat()


def event(device, n, type_="heartbeat", at=None, value=None, **extra) -> dict:
    body = {"id": f"ev-{n}", "identifier": device.identifier if hasattr(device, "identifier") else device,
            "type": type_, "at": at or ago(minutes=5)}
    if value is not None:
        body["value"] = value
    body.update(extra)
    return body


def post(client, token, events):
    return client.post(URL, json={"events": events}, headers=bearer(token))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def reload(device) -> InstalledDevice:
    db.session.expire_all()
    return db.session.get(InstalledDevice, device.id)


def test_a_heartbeat_is_stored_and_moves_last_seen(client, device, token):
    at = now_utc() - timedelta(minutes=3)
    response = post(client, token, [event(device, 1, at=at.isoformat())])
    assert response.status_code == 200
    assert response.get_json() == {"accepted": 1, "duplicate": 0, "rejected": []}
    assert count(DeviceEvent) == 1
    assert abs(as_utc(reload(device).last_seen_at) - at) < timedelta(seconds=1)


def test_last_seen_never_goes_back_for_a_late_delivery(client, device, token):
    post(client, token, [event(device, 1, at=ago(minutes=1))])
    seen = as_utc(reload(device).last_seen_at)
    post(client, token, [event(device, 2, at=ago(days=1))])
    assert as_utc(reload(device).last_seen_at) == seen


def test_duplicates_within_a_batch_and_across_requests_count_once(client, device, token):
    batch = [event(device, 1), event(device, 2), event(device, 1)]
    assert post(client, token, batch).get_json() == {"accepted": 2, "duplicate": 1, "rejected": []}
    assert post(client, token, batch).get_json() == {"accepted": 0, "duplicate": 3, "rejected": []}
    assert count(DeviceEvent) == 2


def test_the_same_event_id_through_another_key_of_the_same_supplier_is_a_duplicate(client, world, device, token):
    second = supplier_key(world.supplier, name="备用平台")[1]
    post(client, token, [event(device, 7)])
    assert post(client, second, [event(device, 7)]).get_json()["duplicate"] == 1


def test_event_ids_are_per_supplier(client, world, token):
    mine = make_device(world.supplier, world.product, world.resident)
    theirs = make_device(world.other_supplier, world.other_product, world.other_resident)
    other_token = supplier_key(world.other_supplier)[1]
    assert post(client, token, [event(mine, 1)]).get_json()["accepted"] == 1
    assert post(client, other_token, [event(theirs, 1)]).get_json()["accepted"] == 1


@pytest.mark.parametrize(("item", "field"), [
    ("not an object", ""),
    ({"identifier": "X", "type": "heartbeat"}, "id"),
    ({"id": "", "type": "heartbeat"}, "id"),
    ({"id": "x" * 101, "type": "heartbeat"}, "id"),
    ({"id": True, "type": "heartbeat"}, "id"),
    ({"id": "a\u0000b", "type": "heartbeat"}, "id"),
    ({"id": "ok", "identifier": 12345, "type": "heartbeat"}, "identifier"),
    ({"id": "ok", "type": "explosion"}, "type"),
    ({"id": "ok", "type": "heartbeat", "at": "yesterday"}, "at"),
    ({"id": "ok", "type": "heartbeat", "at": "2026-12-01T08:00:00"}, "at"),  # no offset
    ({"id": "ok", "type": "heartbeat", "at": "2026-12-01"}, "at"),
    ({"id": "ok", "type": "heartbeat", "at": "1970-01-01T00:00:00Z"}, "at"),
    ({"id": "ok", "type": "alarm", "value": 150}, "value"),
    ({"id": "ok", "type": "alarm", "value": -1}, "value"),
    ({"id": "ok", "type": "alarm", "value": "12"}, "value"),
    ({"id": "ok", "type": "heartbeat", "value": True}, "value"),
])
def test_malformed_items_are_rejected_one_by_one(client, device, token, item, field):
    if isinstance(item, dict):
        item = {"identifier": device.identifier, "at": ago(minutes=1), **item}
    response = post(client, token, [event(device, 1), item])
    assert response.status_code == 200
    body = response.get_json()
    assert body["accepted"] == 1 and body["duplicate"] == 0
    [rejection] = body["rejected"]
    assert rejection["index"] == 1 and rejection["reason"] == "malformed"
    assert rejection.get("field", "") == field and rejection["message"]
    assert count(DeviceEvent) == 1


def test_unknown_identifier_another_suppliers_device_and_the_future_are_rejected(client, world, device, token):
    theirs = make_device(world.other_supplier, world.other_product, world.other_resident)
    body = post(client, token, [
        event(device, 1),
        event("88.118.8/NOWHERE-1", 2),
        event(theirs, 3),
        event(device, 4, at=(now_utc() + timedelta(hours=1)).isoformat()),
        event(device, 5, at=(now_utc() + timedelta(seconds=30)).isoformat()),  # within the clock skew
    ]).get_json()
    assert body["accepted"] == 2
    assert [(r["index"], r["id"], r["reason"]) for r in body["rejected"]] == [
        (1, "ev-2", "unknown_identifier"), (2, "ev-3", "not_your_device"), (3, "ev-4", "future_time")]
    assert reload(theirs).last_seen_at is None


def test_identifiers_compare_without_case_or_spaces(client, device, token):
    body = post(client, token, [event(f"  {device.identifier.lower()} ", 1)]).get_json()
    assert body["accepted"] == 1


def test_a_removed_device_takes_no_events(client, world, token):
    gone = make_device(world.supplier, world.product, world.resident, state=DeviceState.removed)
    [rejection] = post(client, token, [event(gone, 1)]).get_json()["rejected"]
    assert rejection["reason"] == "device_not_in_place"


def test_an_alarm_opens_one_alarm_and_tells_resident_supplier_and_utility_at_once(client, world, device, token):
    response = post(client, token, [event(device, 1, "alarm", value=12), event(device, 2, "alarm", value=25,
                                                                               at=ago(minutes=4))])
    assert response.get_json()["accepted"] == 2
    [alarm] = db.session.scalars(select(Alarm)).all()
    assert alarm.state == AlarmState.open and alarm.value == 25 and alarm.district_id == device.district_id
    assert reload(device).state == DeviceState.alarm
    told = {n.user_id for n in db.session.scalars(select(Notification))}
    assert {world.resident.id, world.staff.id, world.inspector.id} <= told
    assert world.other_inspector.id not in told and world.other_staff.id not in told
    resident_note = db.session.scalar(select(Notification).where(Notification.user_id == world.resident.id))
    assert resident_note.link == "/dashboard#devices" and "119" in resident_note.body_text
    inspector_note = db.session.scalar(select(Notification).where(Notification.user_id == world.inspector.id))
    assert inspector_note.link == f"/utility/alarms/{alarm.id}"
    opened = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "alarm.opened")
    assert db.session.scalar(opened) == 1


def test_a_second_alarm_of_the_same_episode_raises_the_peak_and_tells_no_one_again(client, world, device, token):
    post(client, token, [event(device, 1, "alarm", value=10)])
    before = count(Notification)
    post(client, token, [event(device, 2, "alarm", value=40, at=ago(minutes=2))])
    [alarm] = db.session.scalars(select(Alarm)).all()
    assert alarm.value == 40 and count(Notification) == before


def test_alarm_cleared_and_valve_closed_show_on_the_alarm(client, device, token):
    post(client, token, [event(device, 1, "alarm", value=18, at=ago(minutes=10)),
                         event(device, 2, "valve_closed", at=ago(minutes=9)),
                         event(device, 3, "alarm_cleared", at=ago(minutes=5))])
    alarm = db.session.scalar(select(Alarm))
    assert alarm.valve_closed_at is not None and alarm.cleared_at is not None
    assert alarm.state == AlarmState.open  # the gas utility still closes it
    assert reload(device).state == DeviceState.active


def test_a_late_alarm_of_a_closed_episode_does_not_reopen_it(client, world, device, token):
    post(client, token, [event(device, 1, "alarm", value=18, at=ago(minutes=30))])
    alarm = db.session.scalar(select(Alarm))
    alarm.state, alarm.closed_at = AlarmState.closed, now_utc() - timedelta(minutes=1)
    db.session.commit()
    post(client, token, [event(device, 2, "alarm", value=18, at=ago(minutes=20))])
    assert count(Alarm) == 1
    post(client, token, [event(device, 3, "alarm", value=30, at=ago(seconds=10))])
    assert count(Alarm) == 2  # a new episode after the close


def test_state_follows_the_newest_event_whatever_the_order_of_delivery(client, device, token):
    post(client, token, [event(device, 1, "fault", at=ago(minutes=1))])
    assert reload(device).state == DeviceState.fault
    post(client, token, [event(device, 2, "heartbeat", at=ago(minutes=30))])  # older than the fault
    assert reload(device).state == DeviceState.fault
    post(client, token, [event(device, 3, "heartbeat", at=ago(seconds=5))])
    assert reload(device).state == DeviceState.active


def test_an_offline_device_comes_back_with_a_heartbeat_and_the_change_is_audited(client, world, token):
    device = make_device(world.supplier, world.product, world.resident, state=DeviceState.offline,
                         last_seen_at=now_utc() - timedelta(days=2))
    post(client, token, [event(device, 1)])
    assert reload(device).state == DeviceState.active
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "device.state_changed"))
    assert entry.before == {"state": "offline"} and entry.after["state"] == "active"
    assert entry.actor_id is None and "platform key gsk_" in entry.actor_label


def test_a_fault_tells_the_supplier(client, world, device, token):
    post(client, token, [event(device, 1, "fault")])
    assert db.session.scalar(select(Notification).where(Notification.user_id == world.staff.id)) is not None


def test_the_batch_limit_and_the_body_limit_answer_413_and_store_nothing(client, app, device, token):
    events = [event(device, n) for n in range(501)]
    response = post(client, token, events)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_many_events"
    assert post(client, token, events[:500]).get_json()["accepted"] == 500
    app.config["DEVICE_EVENTS_MAX_BYTES"] = 2000
    try:
        response = post(client, token, [event(device, f"big-{n}") for n in range(40)])
    finally:
        app.config["DEVICE_EVENTS_MAX_BYTES"] = 1024 * 1024
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "too_large"
    assert count(DeviceEvent) == 500


@pytest.mark.parametrize("body", [b"{not json", b"[]", b'{"events": {}}', b'{"event": []}', b"\xff\xfe",
                                  b'"events"', b"null", b"[" * 100000 + b"]" * 100000])
def test_a_body_that_is_not_an_events_object_is_a_400(client, token, body):
    response = client.post(URL, data=body, headers={**bearer(token), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] in {"bad_json", "bad_request"}


def test_an_empty_batch_is_fine(client, token):
    assert post(client, token, []).get_json() == {"accepted": 0, "duplicate": 0, "rejected": []}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwYXNz",
                                    "Bearer gsk_0123456789_" + "A" * 43])
def test_without_a_valid_key_the_answer_is_401_with_a_bearer_challenge(client, device, header):
    headers = {"Authorization": header} if header else {}
    response = client.post(URL, json={"events": [event(device, 1)]}, headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert "Set-Cookie" not in response.headers
    assert count(DeviceEvent) == 0


def test_a_revoked_key_stops_at_once_and_a_wrong_secret_never_works(client, world, device):
    key, token = supplier_key(world.supplier)
    assert post(client, token, [event(device, 1)]).status_code == 200
    wrong = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert post(client, wrong, [event(device, 2)]).status_code == 401
    keys.revoke_key(key, world.staff)
    db.session.commit()
    assert post(client, token, [event(device, 3)]).status_code == 401


def test_a_utility_key_cannot_post_events(client, device):
    token = utility_key("500103")[1]
    response = post(client, token, [event(device, 1)])
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "wrong_key_kind"


def test_the_key_notes_when_it_was_last_used_and_is_stored_only_hashed(client, world, device):
    key, token = supplier_key(world.supplier)
    assert key.last_used_at is None
    post(client, token, [event(device, 1)])
    db.session.expire_all()
    stored = db.session.get(keys.PlatformKey, key.id)
    assert stored.last_used_at is not None
    secret = token.split("_", 2)[2]
    for entry in db.session.scalars(select(AuditEntry)):
        assert secret not in str(entry.before) + str(entry.after) + str(entry.actor_label)
    assert secret not in stored.secret_hash and stored.prefix in token


def test_the_rate_limit_is_per_key(client, app, world, device):
    from core.extensions import limiter

    first, second = supplier_key(world.supplier)[1], supplier_key(world.supplier, name="二号")[1]
    app.config["DEVICE_API_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        statuses = [post(client, first, [event(device, f"a{n}")]).status_code for n in range(4)]
        other = post(client, second, [event(device, "b1")]).status_code
    finally:
        app.config["DEVICE_API_RATE_LIMIT"] = "600 per minute"
        limiter.reset()
    assert statuses == [200, 200, 200, 429] and other == 200


def test_times_are_stored_in_utc(client, device, token):
    post(client, token, [event(device, 1, at="2026-12-01T08:00:00+08:00")])
    stored = db.session.scalar(select(DeviceEvent))
    assert as_utc(stored.at) == as_utc(stored.at).replace(tzinfo=UTC) and as_utc(stored.at).hour == 0
