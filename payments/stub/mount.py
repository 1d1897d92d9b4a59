"""Serve the stub inside the main application under a path prefix (the embedded default provider)."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from payments.stub.app import DEFAULTS, create_app

PREFIX = "/_stripe"


def mount_stub(app: Flask, prefix: str = PREFIX) -> Flask | None:
    """Mount the stub at prefix from the main app's STRIPE_* settings (unless STRIPE_STUB_EMBEDDED is off)."""
    if not app.config.get("STRIPE_STUB_EMBEDDED", True):
        return None
    settings = {key: app.config[key] for key in DEFAULTS if key in app.config}
    stub = create_app(settings)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {prefix: stub})
    app.extensions["stripe_stub_app"] = stub
    return stub
