"""The stub's application factory: configuration, database, blueprints, error handlers and CLI."""

from __future__ import annotations

import os
from typing import Any

import click
from flask import Flask, g, request
from werkzeug.exceptions import HTTPException

from payments.stub import api, pages
from payments.stub.delivery import deliver_due, start_worker, stop_worker
from payments.stub.errors import StripeError
from payments.stub.state import StubState, stub_state
from payments.stub.storage import DEFAULT_DATABASE_URL, PROJECT_ROOT, make_engine

#: Settings and their defaults; each can also come from an environment variable of the same name.
DEFAULTS: dict[str, Any] = {
    "STRIPE_STUB_DATABASE_URL": DEFAULT_DATABASE_URL,
    "STRIPE_STUB_API_KEYS": "",
    "STRIPE_STUB_PUBLIC_URL": "",
    "STRIPE_STUB_WEBHOOK_URL": "",
    "STRIPE_WEBHOOK_SECRET": "",
    "STRIPE_STUB_RETRY_BASE_SECONDS": 1.0,
    "STRIPE_STUB_RETRY_MAX_SECONDS": 3600.0,
    "STRIPE_STUB_GIVE_UP_SECONDS": 3 * 24 * 3600.0,
    "STRIPE_STUB_WEBHOOK_TIMEOUT_SECONDS": 10.0,
    "STRIPE_STUB_POLL_SECONDS": 0.5,
    "STRIPE_STUB_DELIVERY_THREAD": True,
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Stripe-compatible stub: flask --app payments.stub run --port 12111."""
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"))
    app.config.update(_settings(config or {}))
    app.extensions["stripe_stub"] = _state(app.config)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    _register_handlers(app)
    _register_cli(app)
    return app


def shutdown(app: Flask) -> None:
    """Stop the delivery worker and close the database connections."""
    state = stub_state(app)
    stop_worker(state)
    state.engine.dispose()


def _settings(config: dict[str, Any]) -> dict[str, Any]:
    """Defaults, overridden by the environment, overridden by the given config."""
    settings = dict(DEFAULTS)
    for key, default in DEFAULTS.items():
        if key in os.environ:
            settings[key] = _coerce(os.environ[key], default)
    settings.update(config)
    return settings


def _coerce(value: str, default: Any) -> Any:
    """An environment string as the type of the setting's default."""
    if isinstance(default, bool):
        return value.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, float):
        return float(value)
    return value


def _state(config: dict[str, Any]) -> StubState:
    """The shared state: engine (tables created on start) and delivery settings."""
    return StubState(
        engine=make_engine(config["STRIPE_STUB_DATABASE_URL"]),
        webhook_url=config["STRIPE_STUB_WEBHOOK_URL"] or None,
        webhook_secret=config["STRIPE_WEBHOOK_SECRET"] or None,
        retry_base_seconds=float(config["STRIPE_STUB_RETRY_BASE_SECONDS"]),
        retry_max_seconds=float(config["STRIPE_STUB_RETRY_MAX_SECONDS"]),
        give_up_seconds=float(config["STRIPE_STUB_GIVE_UP_SECONDS"]),
        timeout_seconds=float(config["STRIPE_STUB_WEBHOOK_TIMEOUT_SECONDS"]),
        poll_seconds=float(config["STRIPE_STUB_POLL_SECONDS"]),
    )


def _register_handlers(app: Flask) -> None:
    """Stripe-shaped errors under /v1, the lazy delivery worker, and waking it after new events."""

    @app.errorhandler(StripeError)
    def stripe_error(error: StripeError):
        return error.response()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not request.path.startswith("/v1/"):
            return error.get_response()
        message = f"Unrecognized request URL ({request.method}: {request.path})."
        if error.code not in (404, 405):
            message = error.description or message
        return StripeError(error.code if error.code in (404, 405) else 400, message).response()

    @app.errorhandler(Exception)
    def server_error(error: Exception):
        app.logger.exception("stub request failed", exc_info=error)
        if not request.path.startswith("/v1/"):
            return "Internal error in the payment stub.", 500
        return StripeError(
            500, "An unexpected error occurred in the payment stub.", type_="api_error"
        ).response()

    @app.before_request
    def ensure_worker() -> None:
        if app.config["STRIPE_STUB_DELIVERY_THREAD"]:
            start_worker(stub_state(app))

    @app.after_request
    def wake_worker(response):
        state = stub_state(app)
        if g.get("stub_events_emitted") and state.worker is not None:
            state.worker.wake()
        return response


def _register_cli(app: Flask) -> None:
    """flask --app payments.stub deliver: attempt every due webhook delivery once."""

    @app.cli.command("deliver")
    def deliver() -> None:
        """Attempt every due webhook delivery once."""
        count = deliver_due(stub_state(app))
        click.echo(f"{count} webhook deliveries attempted.")
