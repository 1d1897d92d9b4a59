"""Fixtures for the payment stub: a live stub server, an SDK client, and a webhook receiver."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import stripe
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from payments.stub import create_app, shutdown
from payments.stub.state import stub_state
from payments.stub.storage import metadata

stripe.enable_telemetry = False
API_KEY = "sk_test_stub_suite"


class LiveServer:
    """A WSGI app served on 127.0.0.1 with a free port, in a thread."""

    def __init__(self, wsgi_app: Callable) -> None:
        self._server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def stub_config(tmp: Path, **overrides: Any) -> dict[str, Any]:
    """Test settings for a stub with its own database file: no lazy thread, fast retries."""
    config = {
        "TESTING": True,
        "STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp / 'stub.sqlite3'}",
        "STRIPE_STUB_DELIVERY_THREAD": False,
        "STRIPE_STUB_RETRY_BASE_SECONDS": 0.2,
        "STRIPE_STUB_POLL_SECONDS": 0.05,
        "STRIPE_STUB_WEBHOOK_TIMEOUT_SECONDS": 5.0,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def stub_app(tmp_path_factory):
    """The stub application shared by the session (on TEST_DATABASE_URL when that is PostgreSQL)."""
    config = stub_config(tmp_path_factory.mktemp("stub"))
    postgres = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
    if postgres:
        config["STRIPE_STUB_DATABASE_URL"] = os.environ["TEST_DATABASE_URL"]
    app = create_app(config)
    engine = stub_state(app).engine
    if postgres:
        metadata.drop_all(engine)
        metadata.create_all(engine)
    yield app
    if postgres:
        metadata.drop_all(engine)
    shutdown(app)


@pytest.fixture(scope="session")
def stub_server(stub_app) -> Iterator[str]:
    """The stub served live; yields its base URL."""
    server = LiveServer(stub_app)
    yield server.url
    server.close()


@pytest.fixture
def make_stub(tmp_path) -> Iterator[Callable[..., Any]]:
    """Build a separate stub app (own database) with extra settings; shut down after the test."""
    apps = []

    def _make(**overrides: Any):
        app = create_app(stub_config(tmp_path / f"stub{len(apps)}", **overrides))
        apps.append(app)
        return app

    yield _make
    for app in apps:
        shutdown(app)


@pytest.fixture
def sdk() -> Iterator[Callable[..., stripe.StripeClient]]:
    """Build official SDK clients against a base URL (no retries); their connections close after the test."""
    http_clients = []

    def _client(base: str, api_key: str = API_KEY) -> stripe.StripeClient:
        http = stripe.RequestsClient()
        http_clients.append(http)
        return stripe.StripeClient(
            api_key, base_addresses={"api": base}, max_network_retries=0, http_client=http
        )

    yield _client
    for http in http_clients:
        http.close()


@pytest.fixture(autouse=True)
def db():
    """Stub tests need no app database: this replaces the root one here (see test_webhook_route)."""
    return None


@pytest.fixture
def stripe_client(sdk, stub_server) -> stripe.StripeClient:
    """An SDK client for the session's live stub."""
    return sdk(stub_server)


@dataclass
class Receiver:
    """A webhook endpoint that records what it gets and can answer 500 a given number of times."""

    fail_times: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        with self.lock:
            failing = self.fail_times > 0
            self.fail_times -= 1 if failing else 0
            self.received.append(
                {
                    "body": body,
                    "signature": request.headers.get("Stripe-Signature"),
                    "status": 500 if failing else 200,
                }
            )
        return Response("fail" if failing else "ok", status=500 if failing else 200)(environ, start_response)

    def events(self) -> list[dict[str, Any]]:
        """The events received with a 2xx answer."""
        return [json.loads(item["body"]) for item in self.received if item["status"] == 200]

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Wait until at least count requests arrived."""
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)


@pytest.fixture
def serve() -> Iterator[Callable[[Callable], str]]:
    """Serve WSGI apps live for one test; returns each one's base URL."""
    servers: list[LiveServer] = []

    def _serve(wsgi_app: Callable) -> str:
        servers.append(LiveServer(wsgi_app))
        return servers[-1].url

    yield _serve
    for server in servers:
        server.close()


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    """A live webhook receiver; yields it and its URL."""
    endpoint = Receiver()
    server = LiveServer(endpoint)
    yield endpoint, server.url + "/hook"
    server.close()


@pytest.fixture
def endpoint(stripe_client, receiver):
    """A WebhookEndpoint for every event on the session stub pointing at the receiver; deleted afterwards."""
    target, url = receiver
    created = stripe_client.v1.webhook_endpoints.create(params={"url": url, "enabled_events": ["*"]})
    yield created, target
    stripe_client.v1.webhook_endpoints.delete(created.id)


@pytest.fixture
def state(stub_app):
    """The session stub's shared state (engine and delivery settings)."""
    return stub_state(stub_app)
