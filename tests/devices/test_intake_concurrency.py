"""Two platforms' requests at the same moment: the same batch twice, overlapping batches in opposite orders and
the same alarm from two requests. Each event is stored and counted once, one alarm opens, and no request
fails (no deadlock, no unique-violation 500). Real concurrency: separate connections, released together.
Meaningful on PostgreSQL (row locks; .ci/run's second pass); on SQLite the writes queue behind each other.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.clock import now_utc
from core.db import db
from devices.models import Alarm, DeviceEvent
from tests.devices.factories import bearer, make_device, make_device_world, supplier_key

URL = "/api/v1/device-events"


def _at_once(app, token, batches: list[list[dict]]) -> list:
    """Post every batch from its own thread and connection, all released by one barrier."""
    barrier = threading.Barrier(len(batches))
    results: list = [None] * len(batches)

    def run(i: int) -> None:
        with app.app_context():
            client = app.test_client()
            barrier.wait()
            response = client.post(URL, json={"events": batches[i]}, headers=bearer(token))
            results[i] = (response.status_code, response.get_json())
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(batches))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.fixture
def setup(db):
    world = make_device_world()
    devices = [make_device(world.supplier, world.product, world.resident) for _ in range(20)]
    token = supplier_key(world.supplier)[1]
    db.session.commit()
    return devices, token


def _events(devices, prefix: str, n: int) -> list[dict]:
    at = (now_utc() - timedelta(minutes=2)).isoformat()
    return [{"id": f"{prefix}-{i}", "identifier": devices[i % len(devices)].identifier, "type": "heartbeat",
             "at": at} for i in range(n)]


def test_the_same_batch_posted_four_times_at_once_is_stored_once(app, setup):
    devices, token = setup
    batch = _events(devices, "same", 500)
    results = _at_once(app, token, [batch] * 4)
    assert [status for status, _ in results] == [200] * 4
    assert sum(body["accepted"] for _, body in results) == 500
    assert sum(body["duplicate"] for _, body in results) == 1500
    assert db.session.scalar(select(func.count()).select_from(DeviceEvent)) == 500


def test_overlapping_batches_in_opposite_orders_neither_deadlock_nor_double_count(app, setup):
    devices, token = setup
    shared = _events(devices, "shared", 300)
    first = _events(devices, "first", 100) + shared
    second = list(reversed(shared)) + _events(devices, "second", 100)
    results = _at_once(app, token, [first, second])
    assert [status for status, _ in results] == [200, 200]
    assert sum(body["accepted"] for _, body in results) == 500
    assert sum(body["duplicate"] for _, body in results) == 300
    assert db.session.scalar(select(func.count()).select_from(DeviceEvent)) == 500


def test_one_alarm_reported_by_two_requests_at_once_opens_one_alarm(app, setup):
    devices, token = setup
    at = (now_utc() - timedelta(minutes=1)).isoformat()
    batches = [[{"id": f"alarm-{n}", "identifier": devices[0].identifier, "type": "alarm", "at": at, "value": 10 + n}]
               for n in range(3)]
    results = _at_once(app, token, batches)
    assert [status for status, _ in results] == [200] * 3
    db.session.expire_all()
    [alarm] = db.session.scalars(select(Alarm)).all()
    assert alarm.value == 12
