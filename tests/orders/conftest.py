"""Fixtures of the order tests: a live Stripe-compatible stub the app pays through, and a listed world.

The app talks to the stub over HTTP with the official SDK (STRIPE_API_BASE). Webhooks are not pushed by
the stub here: a test takes the events the stub emitted for an order and posts them, signed with the
endpoint's secret, to the app's real webhook route, in whatever order and as often as it wants. One test
(test_payment_flow) lets the stub deliver by itself to the app served live.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass

import pytest
import requests
import stripe

from payments.stub import create_app as create_stub
from payments.stub import shutdown
from payments.stub.delivery import sign
from payments.stub.state import stub_state
from tests.payments.conftest import LiveServer, stub_config

API_KEY = "sk_test_orders_suite"
WEBHOOK_SECRET = "whsec_orders_suite_secret"


@dataclass
class Stub:
    url: str
    app: object
    sdk: stripe.StripeClient

    def events(self, order_id: int, type_: str | None = None) -> list[dict]:
        """The events the stub emitted about an order, oldest first."""
        params = {"limit": 100}
        if type_:
            params["type"] = type_
        found = []
        for event in self.sdk.v1.events.list(params=params).auto_paging_iter():
            obj = event.to_dict()["data"]["object"]
            if str((obj.get("metadata") or {}).get("order_id")) == str(order_id):
                found.append(event.to_dict())
        return sorted(found, key=lambda e: (e["created"], e["id"]))


@pytest.fixture
def stub(tmp_path):
    """A fresh stub per test: order numbers start again with each test's empty database, and the stub
    remembers idempotency keys (as the provider does)."""
    app = create_stub(stub_config(tmp_path))
    server = LiveServer(app)
    http = stripe.RequestsClient()
    sdk = stripe.StripeClient(API_KEY, base_addresses={"api": server.url}, max_network_retries=0, http_client=http)
    yield Stub(url=server.url, app=app, sdk=sdk)
    http.close()
    server.close()
    shutdown(app)


@pytest.fixture
def paying(app, stub, monkeypatch):
    """The app pays through the live stub and trusts WEBHOOK_SECRET."""
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", stub.url)
    monkeypatch.setitem(app.config, "STRIPE_API_KEY", API_KEY)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    monkeypatch.setitem(app.config, "STRIPE_MAX_NETWORK_RETRIES", 0)
    return stub


def post_event(client, event: dict, secret: str = WEBHOOK_SECRET):
    """Post one provider event to the app's webhook route, signed as the provider signs it."""
    payload = json.dumps(event)
    return client.post("/payments/webhook", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign(payload, secret, int(time.time()))})


def pay_on_page(url: str, card: str = "4242424242424242") -> requests.Response:
    """Pay on the stub's hosted page as a browser would (without following the redirect back)."""
    page = requests.get(url, timeout=10)
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page.text)
    return requests.post(url, data={"token": token.group(1) if token else "", "card_number": card},
                         allow_redirects=False, timeout=10)


def deliver_all(client, stub: Stub, order_id: int) -> list[int]:
    """Post every event of the order to the app in the order they were emitted; their status codes."""
    return [post_event(client, e).status_code for e in stub.events(order_id)]


def state_of(stub_app):
    return stub_state(stub_app)
