"""How the app reaches its payment provider: the embedded stub in development, a real one in production."""

from __future__ import annotations

from flask import Flask

from core.config import ConfigError
from payments.gateway import DEFAULT_API_KEY
from payments.stub.mount import mount_stub

#: The webhook secret earlier versions used by default; refused in production like any development secret.
LEGACY_DEV_WEBHOOK_SECRET = "whsec_local_development_secret"  # noqa: S105 - refused in production


def configure_payments(app: Flask) -> None:
    """Production: refuse the stub and development secrets (a clear error at start); else mount the stub."""
    if app.config.get("ENV_NAME") == "production":
        check_production(app.config)
        return
    mount_stub(app)  # the Stripe-compatible stub under /_stripe (unless STRIPE_STUB_EMBEDDED is off)


def check_production(config: dict) -> None:
    """The payment settings production needs: no embedded stub, the provider's own secrets."""
    if config.get("STRIPE_STUB_EMBEDDED"):
        raise ConfigError(
            "STRIPE_STUB_EMBEDDED must be off in production: the payment stub is never mounted there."
        )
    secret = config.get("STRIPE_WEBHOOK_SECRET") or ""
    if not secret.startswith("whsec_") or secret == LEGACY_DEV_WEBHOOK_SECRET:
        raise ConfigError(
            "STRIPE_WEBHOOK_SECRET must be set in production to the provider's whsec_... endpoint secret."
        )
    if (config.get("STRIPE_API_KEY") or DEFAULT_API_KEY) == DEFAULT_API_KEY:
        raise ConfigError("STRIPE_API_KEY must be set in production to the provider's secret key.")
