"""WebhookEndpoints, signed deliveries, retries with back-off, the worker thread and the deliver command."""

import json
import time

import pytest
import stripe
from sqlalchemy import select

from payments.stub.delivery import backoff, deliver_due, sign, start_worker, stop_worker
from payments.stub.state import stub_state
from payments.stub.storage import attempts, deliveries


def deliveries_of(state, event_id):
    """Delivery rows of one event, with their attempts' status codes."""
    with state.engine.connect() as conn:
        rows = conn.execute(select(deliveries).where(deliveries.c.event_id == event_id)).all()
        return [
            (
                row,
                [
                    a.status_code
                    for a in conn.execute(
                        select(attempts).where(attempts.c.delivery_id == row.id).order_by(attempts.c.id)
                    )
                ],
            )
            for row in rows
        ]


def deliver_until(state, predicate, timeout=10.0):
    """Run delivery rounds until predicate() holds."""
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        deliver_due(state)
        time.sleep(0.05)


def test_create_shows_the_secret_once_then_list_and_delete(stripe_client):
    created = stripe_client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["checkout.session.completed"]}
    )
    assert created.id.startswith("we_")
    assert created.secret.startswith("whsec_")
    assert (created.status, created.enabled_events) == ("enabled", ["checkout.session.completed"])
    again = stripe_client.v1.webhook_endpoints.retrieve(created.id)
    assert "secret" not in again.to_dict()
    listed = stripe_client.v1.webhook_endpoints.list()
    assert created.id in [e.id for e in listed.data]
    assert all("secret" not in e.to_dict() for e in listed.data)
    deleted = stripe_client.v1.webhook_endpoints.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.webhook_endpoints.retrieve(created.id)


def test_endpoint_needs_url_and_events(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.webhook_endpoints.create(params={"url": "ftp://x", "enabled_events": ["*"]})
    assert caught.value.param == "url"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.webhook_endpoints.create(params={"url": "http://localhost:9/h"})
    assert missing.value.param == "enabled_events"


def test_signature_is_accepted_by_the_sdk():
    payload = json.dumps(
        {
            "id": "evt_1",
            "object": "event",
            "type": "payment_intent.succeeded",
            "data": {"object": {"id": "pi_1", "object": "payment_intent"}},
        }
    )
    header = sign(payload, "whsec_test_secret", int(time.time()))
    event = stripe.Webhook.construct_event(payload, header, "whsec_test_secret")
    assert event.type == "payment_intent.succeeded"
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(payload, header, "whsec_other")


def test_delivery_is_signed_with_the_endpoint_secret(stripe_client, endpoint, state):
    created, target = endpoint
    intent = stripe_client.v1.payment_intents.create(params={"amount": 300, "currency": "cny"})
    deliver_until(state, lambda: target.events())
    received = target.received[0]
    event = stripe.Webhook.construct_event(received["body"].decode(), received["signature"], created.secret)
    assert (event.type, event.data.object.id) == ("payment_intent.created", intent.id)


def test_failing_endpoint_is_retried_with_backoff_until_it_succeeds(stripe_client, endpoint, state):
    created, target = endpoint
    target.fail_times = 2
    stripe_client.v1.payment_intents.create(params={"amount": 300, "currency": "cny"})
    event = stripe_client.v1.events.list(params={"limit": 1}).data[0]
    assert event.pending_webhooks == 1
    deliver_due(state)
    [(row, codes)] = deliveries_of(state, event.id)
    assert (row.state, codes) == ("pending", [500])
    assert row.next_attempt_at - time.time() == pytest.approx(0.2, abs=0.15)
    assert deliver_due(state) == 0
    deliver_until(state, lambda: deliveries_of(state, event.id)[0][0].state == "succeeded")
    [(row, codes)] = deliveries_of(state, event.id)
    assert (row.state, row.attempts, codes) == ("succeeded", 3, [500, 500, 200])
    assert [item["status"] for item in target.received] == [500, 500, 200]


def test_backoff_doubles_from_the_base_up_to_the_cap(state):
    assert [backoff(state, n) for n in (1, 2, 3)] == [0.2, 0.4, 0.8]
    assert backoff(state, 40) == state.retry_max_seconds


def test_unreachable_endpoint_attempts_are_recorded_with_the_error(stripe_client, state):
    created = stripe_client.v1.webhook_endpoints.create(
        params={"url": "http://127.0.0.1:9/hook", "enabled_events": ["payment_intent.canceled"]}
    )
    try:
        intent = stripe_client.v1.payment_intents.create(params={"amount": 300, "currency": "cny"})
        stripe_client.v1.payment_intents.cancel(intent.id)
        event = stripe_client.v1.events.list(params={"type": "payment_intent.canceled", "limit": 1}).data[0]
        deliver_due(state)
        with state.engine.connect() as conn:
            row = conn.execute(select(deliveries).where(deliveries.c.event_id == event.id)).one()
            attempt = conn.execute(select(attempts).where(attempts.c.delivery_id == row.id)).one()
        assert (row.state, attempt.status_code) == ("pending", None)
        assert "ConnectionError" in attempt.error
    finally:
        stripe_client.v1.webhook_endpoints.delete(created.id)
    with state.engine.connect() as conn:
        assert (
            conn.execute(select(deliveries.c.state).where(deliveries.c.id == row.id)).scalar() == "abandoned"
        )


def test_only_enabled_events_are_delivered(stripe_client, receiver, state):
    target, url = receiver
    created = stripe_client.v1.webhook_endpoints.create(
        params={"url": url, "enabled_events": ["payment_intent.canceled"]}
    )
    try:
        intent = stripe_client.v1.payment_intents.create(params={"amount": 300, "currency": "cny"})
        stripe_client.v1.payment_intents.cancel(intent.id)
        deliver_until(state, lambda: target.events())
        deliver_due(state)
        assert [e["type"] for e in target.events()] == ["payment_intent.canceled"]
    finally:
        stripe_client.v1.webhook_endpoints.delete(created.id)


def test_configured_endpoint_gets_events_signed_with_the_configured_secret(make_stub, receiver):
    target, url = receiver
    stub = make_stub(STRIPE_STUB_WEBHOOK_URL=url, STRIPE_WEBHOOK_SECRET="whsec_configured")
    web = stub.test_client()
    response = web.post(
        "/v1/payment_intents",
        headers={"Authorization": "Bearer sk_test_x"},
        data={"amount": "100", "currency": "cny"},
    )
    assert response.status_code == 200
    deliver_until(stub_state(stub), lambda: target.events())
    received = target.received[0]
    event = stripe.Webhook.construct_event(
        received["body"].decode(), received["signature"], "whsec_configured"
    )
    assert event.data.object.id == response.get_json()["id"]


def test_background_thread_delivers_and_starts_only_once(make_stub, receiver):
    target, url = receiver
    stub = make_stub(
        STRIPE_STUB_WEBHOOK_URL=url, STRIPE_WEBHOOK_SECRET="whsec_thread", STRIPE_STUB_DELIVERY_THREAD=True
    )
    web = stub.test_client()
    web.post(
        "/v1/payment_intents",
        headers={"Authorization": "Bearer sk_test_x"},
        data={"amount": "100", "currency": "cny"},
    )
    state = stub_state(stub)
    worker = state.worker
    assert worker is not None and worker.running
    assert start_worker(state) is worker
    target.wait_for(1)
    assert target.events()[0]["type"] == "payment_intent.created"
    stop_worker(state)
    assert not worker.running


def test_pending_deliveries_survive_a_restart_and_the_deliver_command_sends_them(
    make_stub, receiver, tmp_path
):
    target, url = receiver
    settings = {
        "STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp_path / 'restart.sqlite3'}",
        "STRIPE_STUB_WEBHOOK_URL": url,
        "STRIPE_WEBHOOK_SECRET": "whsec_restart",
    }
    first = make_stub(**settings)
    first.test_client().post(
        "/v1/payment_intents",
        headers={"Authorization": "Bearer sk_test_x"},
        data={"amount": "100", "currency": "cny"},
    )
    assert target.received == []
    second = make_stub(**settings)
    result = second.test_cli_runner().invoke(args=["deliver"])
    assert result.exit_code == 0
    assert "1 webhook deliveries attempted." in result.output
    assert target.events()[0]["type"] == "payment_intent.created"
