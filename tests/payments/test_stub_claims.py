"""Several processes (gunicorn workers) each run a delivery worker on one stub database: each delivery
attempt is claimed by exactly one of them, failures are still retried, and a dead worker's claim expires."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from payments.stub.delivery import _record, claim, deliver_due, stop_worker
from payments.stub.state import stub_state
from payments.stub.storage import attempts, deliveries

AUTH = {"Authorization": "Bearer sk_test_claims"}
SECRET = "whsec_claims"


@pytest.fixture
def shared_url(tmp_path):
    """One stub database for several stubs: SQLite here, or a schema of its own on TEST_DATABASE_URL."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    schema = f"stub_claims_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def two_stubs(make_stub, shared_url, receiver):
    """Two stubs (as two server processes) on one database, both delivering to the receiver."""
    target, url = receiver

    def _make(**overrides):
        settings = {
            "STRIPE_STUB_DATABASE_URL": shared_url,
            "STRIPE_STUB_WEBHOOK_URL": url,
            "STRIPE_WEBHOOK_SECRET": SECRET,
            "STRIPE_STUB_RETRY_BASE_SECONDS": 0.1,
            **overrides,
        }
        return make_stub(**settings), make_stub(**settings)

    return _make, target


def create_intents(stub, count: int) -> list[str]:
    """Create count payment intents (one payment_intent.created event each); their ids."""
    web = stub.test_client()
    return [
        web.post("/v1/payment_intents", headers=AUTH, data={"amount": str(100 + n), "currency": "cny"}).get_json()[
            "id"
        ]
        for n in range(count)
    ]


def delivery_rows(stub):
    """Every delivery with the status codes of its attempts."""
    engine = stub_state(stub).engine
    with engine.connect() as conn:
        codes: dict[int, list] = {}
        for row in conn.execute(select(attempts).order_by(attempts.c.id)):
            codes.setdefault(row.delivery_id, []).append(row.status_code)
        return [(row, codes.get(row.id, [])) for row in conn.execute(select(deliveries))]


def wait_until(predicate, timeout: float = 15.0) -> bool:
    """Poll until predicate() holds."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)
    return predicate()


def test_of_two_workers_claiming_the_same_delivery_exactly_one_wins(two_stubs):
    make, _target = two_stubs
    first, second = make()
    create_intents(first, 12)
    states = [stub_state(first), stub_state(second)]
    rows = [row for row, _codes in delivery_rows(first)]
    assert len(rows) == 12
    for row in rows:
        barrier = threading.Barrier(2)
        won: list[float | None] = [None, None]

        def race(index: int, row=row, barrier=barrier, won=won) -> None:
            barrier.wait()
            won[index] = claim(states[index], row)

        threads = [threading.Thread(target=race, args=(index,)) for index in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert sum(lease is not None for lease in won) == 1
    assert deliver_due(states[0]) == deliver_due(states[1]) == 0  # all leased: none is due


def test_two_delivery_workers_on_one_database_deliver_each_event_once(two_stubs):
    make, target = two_stubs
    first, second = make(STRIPE_STUB_DELIVERY_THREAD=True, STRIPE_STUB_POLL_SECONDS=0.01)
    try:
        ids = create_intents(first, 15) + create_intents(second, 15)
        assert wait_until(lambda: len(target.events()) >= 30)
        time.sleep(0.5)  # time for a duplicate to arrive, were there one
    finally:
        stop_worker(stub_state(first))
        stop_worker(stub_state(second))
    received = Counter(event["data"]["object"]["id"] for event in target.events())
    assert received == Counter(ids)
    assert len(target.received) == 30
    assert all((row.state, codes) == ("succeeded", [200]) for row, codes in delivery_rows(first))


def test_failed_attempts_are_still_retried_once_each_by_one_of_the_workers(two_stubs):
    make, target = two_stubs
    target.fail_times = 6
    first, second = make(STRIPE_STUB_DELIVERY_THREAD=True, STRIPE_STUB_POLL_SECONDS=0.01)
    try:
        ids = create_intents(first, 4)
        assert wait_until(lambda: len(target.events()) >= 4)
        time.sleep(0.5)
    finally:
        stop_worker(stub_state(first))
        stop_worker(stub_state(second))
    assert sorted(event["data"]["object"]["id"] for event in target.events()) == sorted(ids)
    rows = delivery_rows(first)
    assert all(row.state == "succeeded" and codes[-1] == 200 for row, codes in rows)
    assert all(codes.count(200) == 1 for _row, codes in rows)
    assert sum(len(codes) for _row, codes in rows) == len(target.received) == 10
    assert sum(row.attempts for row, _codes in rows) == 10


def test_a_claim_left_by_a_dead_worker_expires_and_the_delivery_is_made_after_a_restart(two_stubs):
    make, target = two_stubs
    first, second = make()
    create_intents(first, 1)
    [(row, _codes)] = delivery_rows(first)
    lease = claim(stub_state(first), row)  # the first worker dies before its attempt
    assert lease is not None
    assert deliver_due(stub_state(second)) == 0 and target.received == []
    with stub_state(second).engine.begin() as conn:  # time passes beyond the lease
        conn.execute(deliveries.update().values(next_attempt_at=time.time() - 1))
    assert deliver_due(stub_state(second)) == 1
    assert len(target.events()) == 1
    [(row, codes)] = delivery_rows(second)
    assert (row.state, row.attempts, codes) == ("succeeded", 1, [200])


def test_a_late_result_from_an_expired_claim_does_not_overwrite_the_new_one(two_stubs):
    make, _target = two_stubs
    first, second = make()
    create_intents(first, 1)
    [(row, _codes)] = delivery_rows(first)
    old_lease = claim(stub_state(first), row)
    with stub_state(first).engine.begin() as conn:
        conn.execute(deliveries.update().values(next_attempt_at=time.time() - 1))
    [(expired_row, _codes)] = delivery_rows(first)
    new_lease = claim(stub_state(second), expired_row)
    assert new_lease is not None
    _record(stub_state(first), row, old_lease, 500, None, 10, final=None)  # the first worker, late
    [(now_row, codes)] = delivery_rows(second)
    assert (now_row.state, now_row.next_attempt_at, now_row.attempts) == ("pending", new_lease, 0)
    assert codes == [500]  # the attempt itself is kept in the history
