"""The app's webhook route: signature check, each event recorded once, listeners told once."""

from __future__ import annotations

import json
import threading
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import delete, func, select

from core.db import db as _db
from payments import services
from payments.models import ProcessedWebhookEvent
from payments.routes import bp
from payments.signals import payment_event_received
from payments.stub.delivery import deliver_due, sign
from payments.stub.state import stub_state
from payments.stub.storage import deliveries
from wsgi import create_app

SECRET = "whsec_route_tests"


@pytest.fixture(scope="module")
def webhook_app(app):
    """The test app with the payments blueprint (a fresh app gets it if wsgi does not register it yet)."""
    if "payments" in app.blueprints:
        app.config["STRIPE_WEBHOOK_SECRET"] = SECRET
        return app
    fresh = create_app({**app.config, "STRIPE_WEBHOOK_SECRET": SECRET})
    fresh.register_blueprint(bp)
    return fresh


@pytest.fixture(autouse=True)
def db(webhook_app):
    """The app database in an app context; processed events are removed afterwards."""
    with webhook_app.app_context():
        yield _db
        _db.session.rollback()
        _db.session.remove()
        with _db.engine.begin() as conn:
            conn.execute(delete(ProcessedWebhookEvent))


@pytest.fixture
def web(webhook_app):
    """A test client of the app."""
    return webhook_app.test_client()


@pytest.fixture
def heard():
    """Events the payments signal delivered during the test."""
    events = []

    def listener(sender, event):
        events.append((sender, event["id"]))

    payment_event_received.connect(listener)
    yield events
    payment_event_received.disconnect(listener)


def signed(event_id: str = "evt_route_1", secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    """A payment_intent.created event body and its headers, signed as the stub signs deliveries."""
    payload = json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": "payment_intent.created",
            "created": 1,
            "livemode": False,
            "data": {"object": {"id": "pi_route", "object": "payment_intent", "amount": 100, "metadata": {}}},
        },
        indent=2,
    )
    headers = {
        "Stripe-Signature": sign(payload, secret, int(time.time())),
        "Content-Type": "application/json",
    }
    return payload.encode(), headers


def recorded() -> int:
    """How many events are recorded."""
    return _db.session.scalar(select(func.count()).select_from(ProcessedWebhookEvent))


def test_a_signed_event_is_recorded_and_announced(web, heard):
    body, headers = signed()
    response = web.post("/payments/webhook", data=body, headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"received": True, "duplicate": False}
    assert heard == [("payment_intent.created", "evt_route_1")]
    row = _db.session.scalar(select(ProcessedWebhookEvent))
    assert (row.event_id, row.type, row.payload["data"]["object"]["id"]) == (
        "evt_route_1",
        "payment_intent.created",
        "pi_route",
    )


def test_a_duplicate_event_changes_nothing(web, heard):
    body, headers = signed("evt_twice")
    assert web.post("/payments/webhook", data=body, headers=headers).status_code == 200
    again = web.post("/payments/webhook", data=body, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["duplicate"] is True
    assert heard == [("payment_intent.created", "evt_twice")]
    assert recorded() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Stripe-Signature": "t=1,v1=00"},
        {"Stripe-Signature": signed(secret="whsec_someone_else")[1]["Stripe-Signature"]},
    ],
)
def test_a_bad_signature_is_refused_and_nothing_is_recorded(web, heard, headers):
    body, _good = signed("evt_forged")
    response = web.post("/payments/webhook", data=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_signature"
    assert response.get_json()["error"]["message"]
    assert heard == []
    assert recorded() == 0


def test_a_tampered_body_is_refused(web):
    body, headers = signed("evt_tampered")
    response = web.post("/payments/webhook", data=body.replace(b"100", b"1"), headers=headers)
    assert response.status_code == 400
    assert recorded() == 0


def test_a_failing_listener_leaves_the_event_unrecorded_for_the_retry(web):
    def broken(sender, event):
        raise RuntimeError("listener failed")

    payment_event_received.connect(broken)
    try:
        body, headers = signed("evt_retry_me")
        assert web.post("/payments/webhook", data=body, headers=headers).status_code == 500
    finally:
        payment_event_received.disconnect(broken)
    _db.session.remove()
    assert recorded() == 0


def test_the_webhook_needs_no_csrf_token(webhook_app, web):
    webhook_app.config["WTF_CSRF_ENABLED"] = True
    try:
        body, headers = signed("evt_csrf")
        assert web.post("/payments/webhook", data=body, headers=headers).status_code == 200
    finally:
        webhook_app.config["WTF_CSRF_ENABLED"] = False


def test_stub_deliveries_reach_the_app_exactly_once(webhook_app, make_stub, serve, heard):
    """End to end: pay on the stub's hosted page; its signed webhooks are recorded once, even when resent."""
    stub = make_stub(
        STRIPE_STUB_WEBHOOK_URL=serve(webhook_app) + "/payments/webhook", STRIPE_WEBHOOK_SECRET=SECRET
    )
    pay_web = stub.test_client()
    created = pay_web.post(
        "/v1/checkout/sessions",
        headers={"Authorization": "Bearer sk_test_x"},
        data={
            "mode": "payment",
            "success_url": "https://x.example/ok",
            "amount": "990",
            "currency": "cny",
            "metadata[order_ref]": "ORD-E2E",
        },
    ).get_json()
    path = urlsplit(created["url"]).path
    token = pay_web.get(path).get_data(as_text=True).split('name="token" value="')[1].split('"')[0]
    assert pay_web.post(path, data={"token": token, "card_number": "4242424242424242"}).status_code == 303
    state = stub_state(stub)
    deliver_due(state)
    with state.engine.begin() as conn:
        assert {row.state for row in conn.execute(deliveries.select())} == {"succeeded"}
        conn.execute(deliveries.update().values(state="pending", next_attempt_at=0))
    deliver_due(state)
    _db.session.remove()
    types = [sender for sender, _event_id in heard]
    assert types.count("checkout.session.completed") == 1
    assert len(heard) == len(set(heard)) == recorded()


def test_a_duplicate_racing_past_the_check_is_stopped_by_the_unique_constraint(web, heard, monkeypatch):
    _db.session.add(ProcessedWebhookEvent(event_id="evt_race", type="payment_intent.created", payload={}))
    _db.session.commit()
    checks = iter([False])
    real = services.already_processed
    monkeypatch.setattr(services, "already_processed", lambda event_id: next(checks, None) or real(event_id))
    body, headers = signed("evt_race")
    response = web.post("/payments/webhook", data=body, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["duplicate"] is True
    assert recorded() == 1


def test_two_workers_receiving_the_same_event_at_the_same_moment_handle_it_once(webhook_app, heard, monkeypatch):
    """The first holds its transaction open (in its listener) while the second checks and inserts: the
    second waits for it, then finds the event recorded and answers 200 duplicate, on SQLite and PostgreSQL."""
    in_listener, second_checked = threading.Event(), threading.Event()
    real = services.already_processed

    def check(event_id: str) -> bool:
        seen = real(event_id)
        if in_listener.is_set() and not seen:
            second_checked.set()
        return seen

    def hold(sender, event):
        in_listener.set()
        second_checked.wait(5)
        time.sleep(0.3)  # the second worker is now waiting on its insert

    monkeypatch.setattr(services, "already_processed", check)
    payment_event_received.connect(hold)
    body, headers = signed("evt_concurrent")
    answers = {}

    def post(name: str) -> None:
        response = webhook_app.test_client().post("/payments/webhook", data=body, headers=headers)
        answers[name] = (response.status_code, response.get_json())

    try:
        first = threading.Thread(target=post, args=("first",))
        first.start()
        assert in_listener.wait(5)
        second = threading.Thread(target=post, args=("second",))
        second.start()
        first.join(15)
        second.join(15)
    finally:
        payment_event_received.disconnect(hold)
    assert second_checked.is_set()  # the second really raced past the check
    assert answers["first"] == (200, {"received": True, "duplicate": False})
    assert answers["second"] == (200, {"received": True, "duplicate": True})
    assert heard == [("payment_intent.created", "evt_concurrent")]
    _db.session.remove()
    assert recorded() == 1


def test_an_event_whose_listener_fails_is_rolled_back_and_processed_on_the_retry(web):
    calls = []

    def flaky(sender, event):
        calls.append(event["id"])
        _db.session.add(ProcessedWebhookEvent(event_id="evt_side_effect", type="x", payload={}))
        _db.session.flush()
        if len(calls) == 1:
            raise RuntimeError("listener failed")

    payment_event_received.connect(flaky)
    try:
        body, headers = signed("evt_flaky")
        failed = web.post("/payments/webhook", data=body, headers=headers)
        assert failed.status_code == 500
        assert failed.get_json()["error"]["code"] == "event_failed"
        _db.session.remove()
        assert recorded() == 0  # neither the event nor what the listener changed
        retried = web.post("/payments/webhook", data=body, headers=headers)
        assert retried.get_json() == {"received": True, "duplicate": False}
    finally:
        payment_event_received.disconnect(flaky)
    _db.session.remove()
    assert recorded() == 2  # the event and the listener's change, once
    assert calls == ["evt_flaky", "evt_flaky"]
