"""Serve the stub inside the main application under a path prefix (the embedded development provider).

The embedded stub finds its server by itself, whatever host and port it was started on (flask run --port,
gunicorn -b): the gateway calls it at the origin the current request reached the server through (see
payments/stub/origin.py: a loopback Host on the connection's port, else the connection's own local
address), and the stub delivers the configured endpoint's webhooks to /payments/webhook at the origin its
API was called through. Explicit STRIPE_API_BASE and STRIPE_STUB_WEBHOOK_URL settings always win."""

from __future__ import annotations

from flask import Flask, has_request_context, request
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from core.config import ConfigError
from payments.stub.app import DEFAULTS, create_app
from payments.stub.origin import recorded_origin, serving_origin
from payments.stub.state import stub_state

PREFIX = "/_stripe"
#: Where the app receives provider events (payments/routes.py).
WEBHOOK_PATH = "/payments/webhook"


def mount_stub(app: Flask, prefix: str = PREFIX) -> Flask | None:
    """Mount the stub at prefix from the main app's STRIPE_* settings (unless STRIPE_STUB_EMBEDDED is off).

    Never in production. The stub signs with its own webhook secret (generated once and kept in its
    database), never the app's: the app, in development, trusts that secret for /payments/webhook.
    Without STRIPE_STUB_WEBHOOK_URL the stub delivers to WEBHOOK_PATH on the server it is mounted in."""
    if app.config.get("ENV_NAME") == "production":
        raise ConfigError(
            "The embedded payment stub is never mounted in production: set STRIPE_STUB_EMBEDDED=0."
        )
    if not app.config.get("STRIPE_STUB_EMBEDDED", True):
        return None
    settings = {key: app.config[key] for key in DEFAULTS if app.config.get(key) is not None}
    settings["STRIPE_WEBHOOK_SECRET"] = ""
    if not settings.get("STRIPE_STUB_WEBHOOK_URL") and not settings.get("STRIPE_STUB_WEBHOOK_PATH"):
        settings["STRIPE_STUB_WEBHOOK_PATH"] = WEBHOOK_PATH
    stub = create_app(settings)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {prefix: stub})
    app.extensions["stripe_stub_app"] = stub
    app.extensions["stripe_stub_prefix"] = prefix
    if stub_state(stub).webhook_secret:
        app.config["STRIPE_WEBHOOK_SECRET"] = stub_state(stub).webhook_secret
    return stub


def embedded_api_base(app: Flask) -> str:
    """The embedded stub's API base on this server: in a request, the origin that request reached the
    server through; otherwise (a CLI command) SERVER_NAME when set, else the origin the stub last recorded
    from an API call. A ConfigError says what to set when none is known."""
    prefix = app.extensions.get("stripe_stub_prefix", PREFIX)
    origin = serving_origin(request) if has_request_context() else None
    if origin is None and app.config.get("SERVER_NAME"):
        scheme = app.config.get("PREFERRED_URL_SCHEME") or "http"
        origin = f"{scheme}://{app.config['SERVER_NAME']}"
    if origin is None:
        with stub_state(app.extensions["stripe_stub_app"]).engine.connect() as conn:
            origin = recorded_origin(conn)
    if origin is None:
        raise ConfigError(
            "The address of this server is not known yet, so the embedded payment stub cannot be reached: "
            "set STRIPE_API_BASE (e.g. http://127.0.0.1:5000/_stripe) or SERVER_NAME, or make a payment "
            "request to the running server first."
        )
    return origin + prefix

