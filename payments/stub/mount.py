"""Serve the stub inside the main application under a path prefix (the embedded development provider)."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from core.config import ConfigError
from payments.stub.app import DEFAULTS, create_app
from payments.stub.state import stub_state

PREFIX = "/_stripe"


def mount_stub(app: Flask, prefix: str = PREFIX) -> Flask | None:
    """Mount the stub at prefix from the main app's STRIPE_* settings (unless STRIPE_STUB_EMBEDDED is off).

    Never in production. The stub signs with its own webhook secret (generated once and kept in its
    database), never the app's: the app, in development, trusts that secret for /payments/webhook."""
    if app.config.get("ENV_NAME") == "production":
        raise ConfigError(
            "The embedded payment stub is never mounted in production: set STRIPE_STUB_EMBEDDED=0."
        )
    if not app.config.get("STRIPE_STUB_EMBEDDED", True):
        return None
    settings = {key: app.config[key] for key in DEFAULTS if key in app.config}
    settings["STRIPE_WEBHOOK_SECRET"] = ""
    stub = create_app(settings)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {prefix: stub})
    app.extensions["stripe_stub_app"] = stub
    if stub_state(stub).webhook_secret:
        app.config["STRIPE_WEBHOOK_SECRET"] = stub_state(stub).webhook_secret
    return stub
