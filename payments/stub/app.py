"""The stub's application factory: configuration, database, blueprints, error handlers and CLI."""

from __future__ import annotations

import os
import secrets
from typing import Any

import click
from flask import Flask, g, request
from werkzeug.exceptions import HTTPException

from core.config import ConfigError
from payments.stub import api, pages
from payments.stub.delivery import deliver_due, start_worker, stop_worker
from payments.stub.errors import StripeError
from payments.stub.state import StubState, stub_state
from payments.stub.storage import DEFAULT_DATABASE_URL, PROJECT_ROOT, make_engine, new_id, stored_setting

#: The headers every response of the main app carries (core/web.py); the stub's pages get the same,
#: with their one inline stylesheet allowed by a nonce.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

#: Settings and their defaults; each can also come from an environment variable of the same name.
DEFAULTS: dict[str, Any] = {
    "STRIPE_STUB_DATABASE_URL": DEFAULT_DATABASE_URL,
    "STRIPE_STUB_API_KEYS": "",
    "STRIPE_STUB_PUBLIC_URL": "",
    "STRIPE_STUB_WEBHOOK_URL": "",
    #: Without STRIPE_STUB_WEBHOOK_URL: deliver to this path at the origin the API is called through
    #: (the embedded stub sets /payments/webhook; see payments/stub/origin.py).
    "STRIPE_STUB_WEBHOOK_PATH": "",
    "STRIPE_WEBHOOK_SECRET": "",
    "STRIPE_STUB_RETRY_BASE_SECONDS": 1.0,
    "STRIPE_STUB_RETRY_MAX_SECONDS": 3600.0,
    "STRIPE_STUB_GIVE_UP_SECONDS": 3 * 24 * 3600.0,
    "STRIPE_STUB_WEBHOOK_TIMEOUT_SECONDS": 10.0,
    "STRIPE_STUB_POLL_SECONDS": 0.5,
    "STRIPE_STUB_DELIVERY_THREAD": True,
    "STRIPE_STUB_DELIVERY_WORKERS": 8,
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Stripe-compatible stub: flask --app payments.stub run --port 12111.

    It is a development tool: it refuses to start with APP_ENV=production. Its delivery worker starts
    with it (STRIPE_STUB_DELIVERY_THREAD), so owed webhooks resume after a restart by themselves."""
    if os.environ.get("APP_ENV") == "production" or (config or {}).get("ENV_NAME") == "production":
        raise ConfigError(
            "The Stripe-compatible payment stub never runs in production (APP_ENV=production): "
            "set STRIPE_STUB_EMBEDDED=0 and point STRIPE_API_BASE at the real provider."
        )
    app = Flask(__name__, template_folder=str(PROJECT_ROOT / "templates"))
    app.config.update(_settings(config or {}))
    app.extensions["stripe_stub"] = _state(app.config)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    _register_handlers(app)
    _register_security_headers(app)
    _register_cli(app)
    if app.config["STRIPE_STUB_DELIVERY_THREAD"]:
        start_worker(stub_state(app))
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
    if isinstance(default, int):
        return int(value)
    return value


def _state(config: dict[str, Any]) -> StubState:
    """The shared state: engine (tables created on start) and delivery settings.

    The configured endpoint's secret is STRIPE_WEBHOOK_SECRET when given, else one the stub generates
    once and keeps in its own database (the embedded set-up: the app then trusts that secret)."""
    engine = make_engine(config["STRIPE_STUB_DATABASE_URL"])
    secret = config["STRIPE_WEBHOOK_SECRET"] or None
    url = config["STRIPE_STUB_WEBHOOK_URL"] or None
    path = None if url else _webhook_path(config["STRIPE_STUB_WEBHOOK_PATH"])
    if (url or path) and not secret:
        secret = stored_setting(engine, "config_webhook_secret", lambda: "whsec_" + new_id("", 32))
    return StubState(
        engine=engine,
        webhook_url=url,
        webhook_path=path,
        webhook_secret=secret,
        retry_base_seconds=float(config["STRIPE_STUB_RETRY_BASE_SECONDS"]),
        retry_max_seconds=float(config["STRIPE_STUB_RETRY_MAX_SECONDS"]),
        give_up_seconds=float(config["STRIPE_STUB_GIVE_UP_SECONDS"]),
        timeout_seconds=float(config["STRIPE_STUB_WEBHOOK_TIMEOUT_SECONDS"]),
        poll_seconds=float(config["STRIPE_STUB_POLL_SECONDS"]),
        parallel_endpoints=max(1, int(config["STRIPE_STUB_DELIVERY_WORKERS"])),
    )


def _webhook_path(value: str | None) -> str | None:
    """STRIPE_STUB_WEBHOOK_PATH as an absolute path, or None when unset."""
    if not value:
        return None
    if "://" in value or not value.startswith("/") or value.startswith("//"):
        raise ConfigError(f"STRIPE_STUB_WEBHOOK_PATH must be a path such as /payments/webhook, not {value!r}.")
    return value


def _register_handlers(app: Flask) -> None:
    """Stripe-shaped errors under /v1, the lazy delivery worker, and waking it after new events."""

    @app.errorhandler(StripeError)
    def stripe_error(error: StripeError):
        return error.response()

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if not request.path.startswith("/v1/"):
            return error.get_response()
        if error.code in (404, 405):  # an unknown route or method is a 404, as Stripe answers
            message = (
                f"Unrecognized request URL ({request.method}: {request.path}). "
                "Please see https://stripe.com/docs or we can help at https://support.stripe.com/."
            )
            return StripeError(404, message).response()
        return StripeError(400, error.description or "Invalid request.").response()

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


def _register_security_headers(app: Flask) -> None:
    """The main app's security headers on every stub response (it is mounted as a separate WSGI app)."""

    @app.before_request
    def csp_nonce() -> None:
        g.csp_nonce = secrets.token_urlsafe(16)

    @app.context_processor
    def nonce():
        return {"csp_nonce": g.get("csp_nonce", "")}

    @app.after_request
    def headers(response):
        form_action = " ".join(["'self'", *g.get("csp_form_targets", ())])
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src 'self'; style-src 'self' 'nonce-{g.get('csp_nonce', '')}'; "
            f"img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'self'; "
            f"form-action {form_action}; frame-ancestors 'none'",
        )
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def _register_cli(app: Flask) -> None:
    """flask --app payments.stub deliver: attempt every due webhook delivery once."""

    @app.cli.command("deliver")
    def deliver() -> None:
        """Attempt every due webhook delivery once (for a scheduler; the server's worker does it too)."""
        stop_worker(stub_state(app))  # this process delivers once and exits: no background worker
        count = deliver_due(stub_state(app))
        click.echo(f"{count} webhook deliveries attempted.")
