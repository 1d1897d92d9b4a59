"""The embedded stub finds its own server on any host and port, and never follows a forged Host header."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask, jsonify, request
from sqlalchemy import select
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from payments import gateway
from payments.stub import shutdown
from payments.stub.delivery import deliver_due
from payments.stub.mount import mount_stub
from payments.stub.origin import SERVER_ORIGIN, serving_origin
from payments.stub.state import stub_state
from payments.stub.storage import attempts, settings

AUTH = {"Authorization": "Bearer sk_test_embedded"}


class FakeSocket:
    """A connection whose local address is known, as werkzeug's and gunicorn's servers expose it."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)

    def getsockname(self):
        return self.address


def request_with(host: str, sock: FakeSocket | None = None, scheme: str = "http") -> Request:
    """A request with the given Host header (and connection)."""
    environ = EnvironBuilder(path="/", base_url=f"{scheme}://placeholder", headers={"Host": host}).get_environ()
    if sock is not None:
        environ["werkzeug.socket"] = sock
    return Request(environ)


@pytest.mark.parametrize(
    ("host", "sock", "origin"),
    [
        ("127.0.0.1:5123", FakeSocket("127.0.0.1", 5123), "http://127.0.0.1:5123"),
        ("localhost:5123", FakeSocket("127.0.0.1", 5123), "http://localhost:5123"),
        ("[::1]:5123", FakeSocket("::1", 5123), "http://[::1]:5123"),
        ("localhost:5123", None, "http://localhost:5123"),  # a server that hides its socket
        # A Host naming another port, or another machine, is not followed: the connection's own address is.
        ("127.0.0.1:22", FakeSocket("127.0.0.1", 5123), "http://127.0.0.1:5123"),
        ("evil.example", FakeSocket("127.0.0.1", 5123), "http://127.0.0.1:5123"),
        ("evil.example:5123", FakeSocket("192.168.7.9", 5123), "http://192.168.7.9:5123"),
        ("127.0.0.1:5123", FakeSocket("::ffff:127.0.0.1", 5123), "http://127.0.0.1:5123"),
        ("evil.example", None, None),
        ("127.0.0.1:99999", None, None),
        ("10.0.0.1:5000", None, None),
    ],
)
def test_serving_origin_trusts_only_loopback_hosts_on_the_connections_port(host, sock, origin):
    assert serving_origin(request_with(host, sock)) == origin


@pytest.fixture
def host_app(tmp_path):
    """A server with the stub mounted (its own database) and a /payments/webhook that verifies and records
    what it receives."""
    host = Flask("host")
    host.config.update(
        STRIPE_STUB_DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
        STRIPE_STUB_DELIVERY_THREAD=False,
        STRIPE_STUB_RETRY_BASE_SECONDS=0.1,
        STRIPE_API_KEY="sk_test_embedded",
        STRIPE_MAX_NETWORK_RETRIES=0,
    )
    host.received = []

    @host.post("/payments/webhook")
    def webhook():
        event = gateway.verify_webhook(request.get_data(), request.headers.get("Stripe-Signature", ""))
        host.received.append((request.host, event))
        return jsonify(received=True)

    stub = mount_stub(host)
    yield host
    shutdown(stub)


def stub_of(host: Flask):
    """The stub mounted in a host app."""
    return host.extensions["stripe_stub_app"]


def checkout(**overrides) -> gateway.CheckoutResult:
    """A 99.00 checkout for order 7."""
    params = {
        "order_ref": f"ORD-{time.monotonic_ns()}",
        "amount_fen": 9900,
        "line_items": [{"name": "自闭阀", "unit_amount_fen": 9900, "quantity": 1}],
        "success_url": "http://127.0.0.1/ok",
        "cancel_url": "http://127.0.0.1/no",
        "metadata": {"order_id": "7"},
    }
    return gateway.create_checkout_session(**{**params, **overrides})


def pay(url: str, number: str = "4242424242424242") -> requests.Response:
    """Pay a hosted page over HTTP as a browser would."""
    with requests.Session() as browser:
        browser.trust_env = False
        page = browser.get(url, timeout=10)
        token = page.text.split('name="token" value="')[1].split('"')[0]
        return browser.post(url, data={"token": token, "card_number": number}, allow_redirects=False, timeout=10)


def deliver_all(host: Flask, count: int, timeout: float = 10.0) -> None:
    """Deliver until the host received count events."""
    deadline = time.monotonic() + timeout
    while len(host.received) < count and time.monotonic() < deadline:
        deliver_due(stub_state(stub_of(host)))
        time.sleep(0.05)


def test_mounting_without_a_webhook_url_delivers_to_the_servers_own_webhook_path(host_app):
    state = stub_state(stub_of(host_app))
    assert (state.webhook_url, state.webhook_path) == (None, "/payments/webhook")
    assert host_app.config["STRIPE_WEBHOOK_SECRET"] == state.webhook_secret


def test_the_gateway_and_the_webhooks_find_a_server_on_any_port(host_app, serve):
    base = serve(host_app)  # a random free port, as flask run --port or gunicorn -b would give
    with host_app.test_request_context(base_url=base):
        assert gateway.api_base() == base + "/_stripe"
        result = checkout()
    assert result.url.startswith(base + "/_stripe/c/pay/cs_test_")
    assert pay(result.url).status_code == 303
    deliver_all(host_app, 1)
    types = [event["type"] for _host, event in host_app.received]
    assert "checkout.session.completed" in types
    assert {received_host for received_host, _event in host_app.received} == {urlsplit(base).netloc}


def test_a_forged_host_header_does_not_redirect_the_webhooks(host_app, serve):
    base = serve(host_app)
    port = urlsplit(base).port
    for forged in ("evil.example", "127.0.0.1:9", f"evil.example:{port}"):
        response = requests.get(
            f"{base}/_stripe/v1/events", headers={**AUTH, "Host": forged}, timeout=10
        )
        assert response.status_code == 200
        with stub_state(stub_of(host_app)).engine.connect() as conn:
            recorded = conn.execute(select(settings.c.value).where(settings.c.name == SERVER_ORIGIN)).scalar()
        assert recorded == base  # the connection's own address, not the Host header


def test_the_checkout_page_is_on_the_origin_of_the_payers_browser(host_app, serve):
    base = serve(host_app)
    port = urlsplit(base).port
    # The payer browses at another name of this machine; the server calls its stub on its own address.
    with host_app.test_request_context(base_url=f"http://localhost:{port}"):
        result = checkout()
    assert result.url.startswith(f"http://localhost:{port}/_stripe/c/pay/")
    assert pay(result.url).status_code == 303


def test_outside_a_request_the_gateway_uses_the_recorded_origin_then_server_name(host_app, serve):
    with host_app.app_context():
        with pytest.raises(gateway.PaymentError) as caught:
            gateway.api_base()
        assert caught.value.code == "api_base_unknown"
        assert "STRIPE_API_BASE" in caught.value.message
    base = serve(host_app)
    with host_app.test_request_context(base_url=base):
        session_id = checkout().id
    with host_app.app_context():  # e.g. a CLI command: the address the stub recorded
        assert gateway.api_base() == base + "/_stripe"
        assert gateway.expire_checkout_session(session_id).status == "expired"
    host_app.config["SERVER_NAME"] = "127.0.0.1:1"
    with host_app.app_context():
        assert gateway.api_base() == "http://127.0.0.1:1/_stripe"


def test_explicit_settings_win(host_app, serve, tmp_path):
    base = serve(host_app)
    host_app.config["STRIPE_API_BASE"] = "http://127.0.0.1:2/_stripe/"
    with host_app.test_request_context(base_url=base):
        assert gateway.api_base() == "http://127.0.0.1:2/_stripe"
    other = Flask("explicit")
    other.config.update(
        STRIPE_STUB_DATABASE_URL=f"sqlite:///{tmp_path / 'explicit.sqlite3'}",
        STRIPE_STUB_DELIVERY_THREAD=False,
        STRIPE_STUB_WEBHOOK_URL="http://127.0.0.1:3/hook",
    )
    stub = mount_stub(other)
    try:
        assert (stub_state(stub).webhook_url, stub_state(stub).webhook_path) == ("http://127.0.0.1:3/hook", None)
    finally:
        shutdown(stub)


def test_the_gateway_without_a_base_or_an_embedded_stub_says_what_to_set():
    app = Flask("bare")
    with app.app_context(), pytest.raises(gateway.PaymentError) as caught:
        gateway.retrieve_checkout_session("cs_test_x")
    assert caught.value.code == "api_base_unknown"


def test_deliveries_made_before_the_server_address_is_known_are_retried_not_dropped(host_app, serve):
    stub = stub_of(host_app)
    state = stub_state(stub)
    web = stub.test_client()
    intent = web.post("/v1/payment_intents", headers=AUTH, data={"amount": "100", "currency": "cny"})
    assert intent.status_code == 200
    with state.engine.begin() as conn:  # an owed delivery, and no server address (e.g. a wiped setting)
        conn.execute(settings.delete().where(settings.c.name == SERVER_ORIGIN))
    state.recorded_origin = None
    deliver_due(state)
    with state.engine.connect() as conn:
        [attempt] = conn.execute(select(attempts)).all()
    assert "not known yet" in attempt.error
    base = serve(host_app)
    requests.get(f"{base}/_stripe/v1/events", headers=AUTH, timeout=10)  # any API call records it
    deliver_all(host_app, 1)
    assert [event["data"]["object"]["id"] for _host, event in host_app.received] == [intent.get_json()["id"]]
