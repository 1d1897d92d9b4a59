"""A Stripe-compatible payment provider for development and tests (SPEC section 6)."""

from payments.stub.app import create_app, shutdown

__all__ = ["create_app", "shutdown"]
