"""The payment gateway: the only app code that knows the provider (Stripe's API through the official SDK)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import stripe
from flask import current_app

stripe.enable_telemetry = False

DEFAULT_API_BASE = "http://127.0.0.1:5000/_stripe"
DEFAULT_API_KEY = "sk_test_local"
DEFAULT_MAX_NETWORK_RETRIES = 2
#: Webhook timestamps older than this many seconds are refused (replay protection).
WEBHOOK_TOLERANCE_SECONDS = 300
REFUND_REASONS = ("duplicate", "fraudulent", "requested_by_customer")


class PaymentError(Exception):
    """The provider refused or failed a request; code and decline_code as the provider gave them."""

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        decline_code: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.decline_code = decline_code
        self.http_status = http_status


class WebhookSignatureError(Exception):
    """A webhook whose signature, timestamp or body did not verify."""


@dataclass(frozen=True)
class CheckoutResult:
    """A hosted checkout page to send the payer to."""

    id: str
    url: str


@dataclass(frozen=True)
class CheckoutStatus:
    """Where a checkout session stands."""

    id: str
    status: str
    payment_status: str
    payment_intent_id: str | None
    amount_fen: int
    currency: str
    metadata: dict[str, str]

    @property
    def paid(self) -> bool:
        """Whether the payer has paid."""
        return self.payment_status == "paid"


@dataclass(frozen=True)
class RefundResult:
    """A refund the provider accepted."""

    id: str
    amount_fen: int
    status: str


@contextmanager
def _client() -> Iterator[stripe.StripeClient]:
    """A StripeClient on the configured API base whose HTTP connections are closed afterwards."""
    config = current_app.config
    http = stripe.RequestsClient()
    try:
        yield stripe.StripeClient(
            config.get("STRIPE_API_KEY") or DEFAULT_API_KEY,
            base_addresses={"api": (config.get("STRIPE_API_BASE") or DEFAULT_API_BASE).rstrip("/")},
            max_network_retries=int(config.get("STRIPE_MAX_NETWORK_RETRIES", DEFAULT_MAX_NETWORK_RETRIES)),
            http_client=http,
        )
    except stripe.StripeError as exc:
        raise _payment_error(exc) from exc
    finally:
        http.close()


def _payment_error(exc: stripe.StripeError) -> PaymentError:
    """Our domain error for an SDK error."""
    error = exc.error
    return PaymentError(
        exc.user_message or str(exc),
        code=exc.code,
        decline_code=getattr(error, "decline_code", None) if error else None,
        http_status=exc.http_status,
    )


def checkout_idempotency_key(order_ref: str, amount_fen: int, currency: str, attempt: int = 1) -> str:
    """The key that makes a repeated checkout request for the same order and amount return the same page."""
    digest = hashlib.sha256(f"{order_ref}|{amount_fen}|{currency}|{attempt}".encode()).hexdigest()[:32]
    return f"checkout-{digest}"


def create_checkout_session(
    *,
    order_ref: str,
    amount_fen: int,
    currency: str = "cny",
    line_items: list[dict[str, Any]],
    success_url: str,
    cancel_url: str,
    metadata: dict[str, str] | None = None,
    attempt: int = 1,
) -> CheckoutResult:
    """Create a hosted checkout page; line_items ({"name", "unit_amount_fen", "quantity"}) must add up."""
    items = [_line_item(item, currency) for item in line_items]
    if sum(item["price_data"]["unit_amount"] * item["quantity"] for item in items) != amount_fen:
        raise PaymentError("line items do not add up to the amount", code="amount_mismatch")
    tags = {**(metadata or {}), "order_ref": order_ref}
    params = {
        "mode": "payment",
        "success_url": success_url,
        "cancel_url": cancel_url,
        "line_items": items,
        "client_reference_id": order_ref,
        "metadata": tags,
        "payment_intent_data": {"metadata": tags},
    }
    key = checkout_idempotency_key(order_ref, amount_fen, currency, attempt)
    with _client() as client:
        session = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    return CheckoutResult(id=session.id, url=session.url)


def _line_item(item: dict[str, Any], currency: str) -> dict[str, Any]:
    """One of our line items as the provider's price_data."""
    return {
        "quantity": int(item.get("quantity", 1)),
        "price_data": {
            "currency": currency,
            "unit_amount": int(item["unit_amount_fen"]),
            "product_data": {"name": str(item["name"])},
        },
    }


def retrieve_checkout_session(session_id: str) -> CheckoutStatus:
    """The current state of a checkout session."""
    with _client() as client:
        session = client.v1.checkout.sessions.retrieve(session_id).to_dict()
    return CheckoutStatus(
        id=session["id"],
        status=session["status"],
        payment_status=session["payment_status"],
        payment_intent_id=session.get("payment_intent"),
        amount_fen=session["amount_total"],
        currency=session["currency"],
        metadata=dict(session.get("metadata") or {}),
    )


def refund(
    payment_intent_id: str, amount_fen: int | None = None, reason: str | None = None, *, idempotency_key: str
) -> RefundResult:
    """Refund all (amount_fen=None) or part of a payment; a free-text reason is kept as a note."""
    params: dict[str, Any] = {"payment_intent": payment_intent_id}
    if amount_fen is not None:
        params["amount"] = amount_fen
    if reason in REFUND_REASONS:
        params["reason"] = reason
    elif reason:
        params.update(reason="requested_by_customer", metadata={"note": reason[:500]})
    with _client() as client:
        result = client.v1.refunds.create(params=params, options={"idempotency_key": idempotency_key})
    return RefundResult(id=result.id, amount_fen=result.amount, status=result.status)


def verify_webhook(payload: bytes, sig_header: str) -> dict[str, Any]:
    """Check a webhook's Stripe-Signature against STRIPE_WEBHOOK_SECRET and return the event as a dict."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise WebhookSignatureError("STRIPE_WEBHOOK_SECRET is not configured")
    try:
        event = stripe.Webhook.construct_event(
            payload.decode("utf-8"), sig_header, secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
        )
    except (stripe.SignatureVerificationError, ValueError) as exc:
        raise WebhookSignatureError(str(exc)) from exc
    data = event.to_dict()
    if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
        raise WebhookSignatureError("event without id or type")
    return data
