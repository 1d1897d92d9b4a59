"""Delivery, as Stripe: pending_webhooks counts what is still owed, endpoints are delivered to independently,
and owed deliveries resume by themselves after a restart."""

from __future__ import annotations

import threading
import time

from werkzeug.wrappers import Response

from payments.stub.delivery import deliver_due, stop_worker
from payments.stub.state import stub_state

AUTH = {"Authorization": "Bearer sk_test_x"}


def events_of(web) -> list[dict]:
    """The stub's events, newest first."""
    return web.get("/v1/events", headers=AUTH).get_json()["data"]


def test_pending_webhooks_counts_the_deliveries_still_owed(make_stub, receiver):
    target, url = receiver
    target.fail_times = 1
    stub = make_stub(STRIPE_STUB_WEBHOOK_URL=url, STRIPE_WEBHOOK_SECRET="whsec_pending")
    web = stub.test_client()
    intent = web.post("/v1/payment_intents", headers=AUTH, data={"amount": "100", "currency": "cny"}).get_json()
    event = events_of(web)[0]
    assert (event["data"]["object"]["id"], event["pending_webhooks"]) == (intent["id"], 1)
    deliver_due(stub_state(stub))  # answered 500: still owed
    assert web.get(f"/v1/events/{event['id']}", headers=AUTH).get_json()["pending_webhooks"] == 1
    deadline = time.monotonic() + 10
    while not target.events() and time.monotonic() < deadline:
        deliver_due(stub_state(stub))
        time.sleep(0.05)
    assert target.events()[0]["pending_webhooks"] == 1  # the delivery being made is still owed
    assert web.get(f"/v1/events/{event['id']}", headers=AUTH).get_json()["pending_webhooks"] == 0
    assert events_of(web)[0]["pending_webhooks"] == 0


class SlowEndpoint:
    """A webhook endpoint that holds every request until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.arrived = threading.Event()

    def __call__(self, environ, start_response):
        self.arrived.set()
        self.release.wait(10)
        return Response("late")(environ, start_response)


def test_a_slow_endpoint_does_not_delay_another_endpoints_deliveries(make_stub, serve, sdk, receiver):
    fast, fast_url = receiver
    slow = SlowEndpoint()
    slow_url = serve(slow) + "/hook"
    stub = make_stub(STRIPE_STUB_DELIVERY_THREAD=True, STRIPE_STUB_WEBHOOK_TIMEOUT_SECONDS=8.0)
    client = sdk(serve(stub))
    try:
        for url in (slow_url, fast_url):
            client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": ["payment_intent.created"]})
        for amount in (100, 200):
            client.v1.payment_intents.create(params={"amount": amount, "currency": "cny"})
        assert slow.arrived.wait(5)
        fast.wait_for(2, timeout=4)
        assert sorted(e["data"]["object"]["amount"] for e in fast.events()) == [100, 200]
        assert not slow.release.is_set()  # the slow endpoint is still holding its first delivery
    finally:
        slow.release.set()
        stop_worker(stub_state(stub))


def test_owed_deliveries_resume_after_a_restart_without_any_request(make_stub, receiver, tmp_path):
    target, url = receiver
    settings = {
        "STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp_path / 'resume.sqlite3'}",
        "STRIPE_STUB_WEBHOOK_URL": url,
        "STRIPE_WEBHOOK_SECRET": "whsec_resume",
    }
    first = make_stub(**settings)
    first.test_client().post("/v1/payment_intents", headers=AUTH, data={"amount": "100", "currency": "cny"})
    assert target.received == []
    restarted = make_stub(**settings, STRIPE_STUB_DELIVERY_THREAD=True)
    assert stub_state(restarted).worker is not None and stub_state(restarted).worker.running
    target.wait_for(1, timeout=5)
    assert [event["type"] for event in target.events()] == ["payment_intent.created"]
