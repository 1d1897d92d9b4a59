"""The gas utilities' reads (SPEC 3.4): their districts only, paged, masked; and the access standard (OpenAPI)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from core.audit import AuditEntry
from core.clock import now_utc
from core.db import db
from core.personal_data import VIEWED
from devices.models import Alarm, AlarmOutcome, AlarmState, DeviceState
from tests.devices.factories import ADDRESS, bearer, make_device, make_device_world, supplier_key, utility_key
from tests.market.test_openapi_responses import _check

DEVICE_FIELDS = {"identifier", "carrier", "serial", "product_id", "supplier_id", "district", "state",
                 "installed_at", "last_seen_at", "replace_by"}
ALARM_FIELDS = {"id", "identifier", "district", "opened_at", "value", "state", "acknowledged_at", "closed_at",
                "outcome"}


@pytest.fixture
def world(db):
    return make_device_world()


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def _alarm(device, state=AlarmState.open, **fields) -> Alarm:
    alarm = Alarm(device_id=device.id, district_id=device.district_id, supplier_id=device.supplier_id, state=state,
                  opened_at=now_utc() - timedelta(minutes=20), value=22.0, **fields)
    db.session.add(alarm)
    db.session.commit()
    return alarm


def test_a_utility_sees_its_districts_devices_with_the_spec_fields_and_masked_addresses(client, world, doc):
    mine = make_device(world.supplier, world.product, world.resident, code="500103")
    make_device(world.supplier, world.product, world.other_resident, code="500105")
    token = utility_key("500103")[1]
    response = client.get("/api/v1/utility/devices", headers=bearer(token))
    assert response.status_code == 200
    _check(doc, "/utility/devices", "get", response)
    body = response.get_json()
    assert [d["identifier"] for d in body["devices"]] == [mine.identifier]
    assert DEVICE_FIELDS <= set(body["devices"][0]) and body["next"] is None
    assert body["devices"][0]["district"] == "500103"
    assert ADDRESS not in response.get_data(as_text=True) and "****" in body["devices"][0]["address"]
    assert body["counts"] == {"active": 1}


def test_district_and_state_filters_and_scope(client, world):
    make_device(world.supplier, world.product, world.resident, code="500103")
    offline = make_device(world.supplier, world.product, world.resident, code="500103", state=DeviceState.offline)
    make_device(world.supplier, world.product, world.other_resident, code="500105")
    both = utility_key("500103", "500105")[1]
    only = utility_key("500103")[1]
    assert len(client.get("/api/v1/utility/devices", headers=bearer(both)).get_json()["devices"]) == 3
    body = client.get("/api/v1/utility/devices?district=500103&state=offline", headers=bearer(both)).get_json()
    assert [d["identifier"] for d in body["devices"]] == [offline.identifier]
    refused = client.get("/api/v1/utility/devices?district=500105", headers=bearer(only))
    assert refused.status_code == 403 and refused.get_json()["error"]["field"] == "district"


@pytest.mark.parametrize(("query", "field"), [("district=999999", "district"), ("state=exploded", "state"),
                                              ("since=yesterday", "since"), ("since=2026-12-01T00:00:00", "since"),
                                              ("limit=0", "limit"), ("limit=100000", "limit"), ("limit=abc", "limit"),
                                              ("cursor=%%%", "cursor"), ("cursor=eyJhZnRlciI6ICJ4In0", "cursor")])
def test_bad_parameters_are_400s_naming_the_parameter(client, world, doc, query, field):
    token = utility_key("500103")[1]
    for path in ("/utility/devices", "/utility/alarms"):
        response = client.get(f"/api/v1{path}?{query}", headers=bearer(token))
        if field == "state" and path == "/utility/alarms":
            assert response.status_code == 400
        assert response.status_code == 400, (path, query)
        assert response.get_json()["error"]["field"] == field
        _check(doc, path, "get", response)


def test_pages_follow_the_cursor_to_the_end_without_gaps_or_repeats(client, world):
    made = [make_device(world.supplier, world.product, world.resident).identifier for _ in range(7)]
    token = utility_key("500103")[1]
    seen, url, pages = [], "/api/v1/utility/devices?limit=3", 0
    while url:
        body = client.get(url, headers=bearer(token)).get_json()
        seen += [d["identifier"] for d in body["devices"]]
        pages += 1
        url = f"/api/v1/utility/devices?limit=3&cursor={body['next']}" if body["next"] else None
    assert seen == made and pages == 3


def test_since_returns_what_changed(client, world):
    old = make_device(world.supplier, world.product, world.resident)
    token = utility_key("500103")[1]
    cut = now_utc() + timedelta(seconds=1)
    assert client.get(f"/api/v1/utility/devices?since={cut.isoformat().replace('+00:00', 'Z')}",
                      headers=bearer(token)).get_json()["devices"] == []
    assert client.get("/api/v1/utility/devices?since=2000-01-01T00:00:00%2B08:00",
                      headers=bearer(token)).get_json()["devices"][0]["identifier"] == old.identifier


def test_a_suppliers_key_cannot_read_the_utility_api(client, world):
    token = supplier_key(world.supplier)[1]
    for path in ("/api/v1/utility/devices", "/api/v1/utility/alarms"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 403
    assert client.get("/api/v1/utility/alarms").status_code == 401


def test_alarms_give_the_address_while_open_and_mask_it_once_closed(client, world, doc):
    device = make_device(world.supplier, world.product, world.resident)
    other = make_device(world.supplier, world.product, world.resident, address="渝中区上清寺路 9 号 1-1")
    open_alarm = _alarm(device)
    closed = _alarm(other, AlarmState.closed, acknowledged_at=now_utc(), closed_at=now_utc(),
                    outcome=AlarmOutcome.false_alarm)
    make_device(world.supplier, world.product, world.other_resident, code="500105")
    token = utility_key("500103")[1]
    response = client.get("/api/v1/utility/alarms", headers=bearer(token))
    assert response.status_code == 200
    _check(doc, "/utility/alarms", "get", response)
    alarms = {a["id"]: a for a in response.get_json()["alarms"]}
    assert set(alarms) == {open_alarm.id, closed.id}
    assert ALARM_FIELDS <= set(alarms[open_alarm.id])
    assert alarms[open_alarm.id]["address"] == ADDRESS
    assert alarms[closed.id]["address"] != "渝中区上清寺路 9 号 1-1" and "****" in alarms[closed.id]["address"]
    assert alarms[closed.id]["outcome"] == "false_alarm"
    viewed = db.session.scalar(select(AuditEntry).where(AuditEntry.action == VIEWED))
    assert viewed.after["alarm_ids"] == [open_alarm.id] and viewed.after["fields"] == ["address"]


def test_another_districts_utility_sees_none_of_the_alarms(client, world):
    _alarm(make_device(world.supplier, world.product, world.resident))
    token = utility_key("500105")[1]
    assert client.get("/api/v1/utility/alarms", headers=bearer(token)).get_json()["alarms"] == []
    assert client.get("/api/v1/utility/alarms?district=500103", headers=bearer(token)).status_code == 403


def test_the_intake_answers_validate_against_the_document(client, world, doc):
    device = make_device(world.supplier, world.product, world.resident)
    token = supplier_key(world.supplier)[1]
    ok = client.post("/api/v1/device-events", headers=bearer(token), json={"events": [
        {"id": 1, "identifier": device.identifier, "type": "alarm", "at": now_utc().isoformat(), "value": 9},
        {"id": "x", "identifier": "NOPE-0001", "type": "heartbeat", "at": now_utc().isoformat()}, 5]})
    _check(doc, "/device-events", "post", ok)
    for response in (client.post("/api/v1/device-events", headers=bearer(token), data="{"),
                     client.post("/api/v1/device-events", json={"events": []}),
                     client.post("/api/v1/device-events", headers=bearer(utility_key("500103")[1]),
                                 json={"events": []}),
                     client.post("/api/v1/device-events", headers=bearer(token), json={"events": [{}] * 501})):
        _check(doc, "/device-events", "post", response)


def test_the_access_standard_is_valid_openapi_with_a_bearer_scheme(client, doc):
    validate(doc)
    assert doc["components"]["securitySchemes"]["platformKey"] == {
        **doc["components"]["securitySchemes"]["platformKey"], "type": "http", "scheme": "bearer"}
    for path, method in (("/device-events", "post"), ("/utility/devices", "get"), ("/utility/alarms", "get")):
        operation = doc["paths"][path][method]
        assert operation["security"] == [{"platformKey": []}]
        assert {"200", "401", "403"} <= set(operation["responses"])
    assert "security" not in doc["paths"]["/products"]["get"]  # the open API stays open
    assert set(doc["components"]["schemas"]["InstalledDevice"]["required"]) >= DEVICE_FIELDS
    assert set(doc["components"]["schemas"]["Alarm"]["required"]) >= ALARM_FIELDS
    english = client.get("/api/v1/openapi.json?lang=en").get_json()
    described = english["components"]["securitySchemes"]["platformKey"]["description"]
    assert described and not any("\u4e00" <= c <= "\u9fff" for c in described)  # the standard in English too


def test_the_api_page_shows_the_device_operations(client):
    page = client.get("/api").get_data(as_text=True)
    assert "/device-events" in page and "/utility/alarms" in page
