"""Paying the demo orders through a real Stripe-compatible stub while `flask seed-demo` runs (SPEC 7).

No server runs during seed-demo, so `demo_provider()` serves a stub on 127.0.0.1 (a free port, in a thread)
for as long as the seed needs one, and points the gateway at it inside a request context (the checkout
pages' return addresses are built with url_for). The stub delivers no webhooks: the seed takes the events
it emitted and hands each to payments.services.process_webhook_event, as the webhook route does with a
verified one, so that the orders' own handlers make them paid and refunded.

- With the embedded stub mounted (make run), the stub served is a second instance on the embedded stub's
  own database: the demo payments show on its dashboard (/_stripe/), and the open checkout page of the
  unpaid demo order can still be paid on the running server (its hosted page and return address name the
  server's origin: SERVER_NAME, else the one the embedded stub recorded, else make run's 127.0.0.1:5000).
- Otherwise (tests, or a separate provider configured) it is a throw-away stub in a temporary directory:
  the demo never creates payments at a provider the developer configured.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import requests
import stripe
from flask import Flask, current_app
from werkzeug.serving import WSGIRequestHandler, make_server

from payments.gateway import DEFAULT_API_KEY
from payments.services import process_webhook_event
from payments.stub import create_app as create_stub
from payments.stub import shutdown
from payments.stub.origin import recorded_origin
from payments.stub.state import stub_state

#: Where make run serves (Makefile HOST and PORT) when nothing else names the server's origin.
DEFAULT_ORIGIN = "http://127.0.0.1:5000"
#: The key the gateway uses with the throw-away stub (any sk_test_ key is accepted there).
THROWAWAY_KEY = "sk_test_demo_seed"  # noqa: S105 - a test-mode key of a stub that lives for one command
CARD_PAID = "4242424242424242"
CARD_DECLINED = "4000000000000002"
_TOKEN = re.compile(r'name="token"[^>]*value="([^"]+)"')


class DemoProvider:
    """The stub served for the seed: pay a checkout session on its hosted page, read the events it emitted."""

    def __init__(self, url: str, api_key: str) -> None:
        self.url = url
        self._http = stripe.RequestsClient()
        self._sdk = stripe.StripeClient(api_key, base_addresses={"api": url}, max_network_retries=0,
                                        http_client=self._http)
        self._browser = requests.Session()
        self._browser.trust_env = False  # 127.0.0.1, never through a proxy
        self._seen = self._newest_event_id()

    def close(self) -> None:
        self._http.close()
        self._browser.close()

    def pay(self, session_id: str, card: str = CARD_PAID) -> int:
        """Enter a card on the session's hosted page as a payer would; the page's status code (303 paid)."""
        page_url = f"{self.url}/c/pay/{session_id}"
        page = self._browser.get(page_url, timeout=10)
        token = _TOKEN.search(page.text)
        answer = self._browser.post(page_url, data={"token": token.group(1) if token else "", "card_number": card},
                                    allow_redirects=False, timeout=10)
        return answer.status_code

    def _newest_event_id(self) -> str | None:
        newest = self._sdk.v1.events.list(params={"limit": 1}).data
        return newest[0].id if newest else None

    def new_events(self) -> list[dict[str, Any]]:
        """The events emitted since the last call (or since the seed began), oldest first."""
        found = []
        for event in self._sdk.v1.events.list(params={"limit": 100}).auto_paging_iter():
            if event.id == self._seen:
                break
            found.append(event.to_dict())
        if found:
            self._seen = found[0]["id"]
        return found[::-1]

    def deliver(self, order_ids: set[int]) -> int:
        """Hand the new events about these orders to the app, as its webhook route would; how many were new."""
        count = 0
        for event in self.new_events():
            metadata = (event.get("data", {}).get("object") or {}).get("metadata") or {}
            if str(metadata.get("order_id", "")).isdigit() and int(metadata["order_id"]) in order_ids:
                count += process_webhook_event(event)
        return count


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request (errors are still logged)."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class _Server:
    """A WSGI app served on 127.0.0.1 with a free port, in a thread."""

    def __init__(self, wsgi_app: Callable) -> None:
        self._server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="demo-stub", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()


def server_origin(app: Flask) -> str:
    """The origin the running server will be reached at: SERVER_NAME, the embedded stub's record, make run's."""
    if app.config.get("SERVER_NAME"):
        return f"{app.config.get('PREFERRED_URL_SCHEME') or 'http'}://{app.config['SERVER_NAME']}"
    embedded = app.extensions.get("stripe_stub_app")
    if embedded is not None:
        with stub_state(embedded).engine.connect() as conn:
            return recorded_origin(conn) or DEFAULT_ORIGIN
    return DEFAULT_ORIGIN


def _stub_settings(app: Flask, database_dir: str | None) -> dict[str, Any]:
    """A stub that delivers nothing by itself: on the embedded stub's database, or on a new one."""
    settings: dict[str, Any] = {"STRIPE_STUB_DELIVERY_THREAD": False, "STRIPE_STUB_WEBHOOK_URL": "",
                                "STRIPE_STUB_WEBHOOK_PATH": "", "STRIPE_WEBHOOK_SECRET": ""}
    embedded = app.extensions.get("stripe_stub_app")
    if embedded is None:
        return settings | {"STRIPE_STUB_DATABASE_URL": f"sqlite:///{database_dir}/demo_stub.sqlite3",
                           "STRIPE_STUB_API_KEYS": "", "STRIPE_STUB_PUBLIC_URL": ""}
    prefix = app.extensions.get("stripe_stub_prefix", "/_stripe")
    return settings | {"STRIPE_STUB_DATABASE_URL": embedded.config["STRIPE_STUB_DATABASE_URL"],
                       "STRIPE_STUB_API_KEYS": embedded.config["STRIPE_STUB_API_KEYS"],
                       "STRIPE_STUB_PUBLIC_URL": server_origin(app) + prefix}


@contextmanager
def demo_provider() -> Iterator[DemoProvider]:
    """Serve a stub, point the gateway at it inside a request context, and undo both afterwards."""
    app = current_app._get_current_object()
    embedded = "stripe_stub_app" in app.extensions
    with ExitStack() as stack:
        folder = None if embedded else stack.enter_context(tempfile.TemporaryDirectory(prefix="demo-stub-"))
        stub = create_stub(_stub_settings(app, folder))
        stack.callback(shutdown, stub)
        server = _Server(stub)
        stack.callback(server.close)
        key = (app.config.get("STRIPE_API_KEY") or DEFAULT_API_KEY) if embedded else THROWAWAY_KEY
        overrides = {"STRIPE_API_BASE": server.url, "STRIPE_API_KEY": key, "STRIPE_MAX_NETWORK_RETRIES": 0}
        saved = {name: app.config[name] for name in overrides if name in app.config}
        app.config.update(overrides)
        stack.callback(_restore, app.config, overrides, saved)
        stack.enter_context(app.test_request_context("/", base_url=server_origin(app)))
        provider = DemoProvider(server.url, key)
        stack.callback(provider.close)
        yield provider


def _restore(config, overrides: dict, saved: dict) -> None:
    """Put the settings back as they were: a setting that was not there is removed again."""
    for name in overrides:
        if name in saved:
            config[name] = saved[name]
        else:
            config.pop(name, None)
