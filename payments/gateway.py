"""The payment gateway: the only app code that knows the provider (Stripe's API through the official SDK).

Functions (all raise PaymentError, with the provider's `code`, `decline_code` and `http_status`):
- create_checkout_session(*, order_ref, amount_fen, currency="cny", line_items, success_url, cancel_url,
  metadata=None, attempt=1) -> CheckoutResult(id, url): a hosted checkout page to redirect the payer to
  (its url is on the origin of the current request's browser). One idempotency key per (order_ref,
  amount, currency, attempt): asking again with the same attempt returns the same session; a new attempt
  (after the previous session expired) makes a new one. metadata (e.g. {"order_id": "42"}) and order_ref
  are copied onto the session and its PaymentIntent (so onto the charge too).
- retrieve_checkout_session(session_id) -> CheckoutStatus(id, status, payment_status, payment_intent_id,
  amount_fen, currency, metadata); status is open, complete or expired; .paid when payment_status is paid.
- expire_checkout_session(session_id) -> CheckoutStatus: closes an open session so its page can no longer
  be paid (sends checkout.session.expired); a session that is not open (paid, or expired already) is a
  PaymentError with code checkout_session_unexpected_state (HTTP 400).
- refund(payment_intent_id, amount_fen=None, reason=None, *, idempotency_key) -> RefundResult(id,
  amount_fen, status): all (amount_fen=None) or part of what was paid; never more than what is left.
- verify_webhook(payload, sig_header) -> the event dict (payments/routes.py does this for every webhook).

Events: the webhook route verifies each event, records its id once and sends
`payments.signals.payment_event_received` with sender=<event type> and event=<the event dict>; connect with
`payment_event_received.connect(handler, sender="checkout.session.completed")`. Handlers change state and
flush; the route commits once, and a handler that raises rolls everything back (the event stays
unrecorded and the provider retries it). The object is `event["data"]["object"]`:
- checkout.session.completed (the payment to act on: the order becomes paid): a Checkout Session with id
  (cs_...), status "complete", payment_status "paid", amount_total (fen; compare with what the order
  asked), currency ("cny"), payment_intent (pi_..., keep it for refunds), metadata (what
  create_checkout_session was given, e.g. order_id, plus order_ref) and client_reference_id (order_ref).
- checkout.session.expired: the session (status "expired", same metadata) closed by
  expire_checkout_session (or by its expiry): nothing was paid on it.
- payment_intent.payment_failed: a declined card on the hosted page: a PaymentIntent with id, amount,
  currency, metadata (same as the session's) and last_payment_error {code, decline_code, message}. The
  session stays open and the payer may retry with another card: informational, the order stays
  pending_payment.
- payment_intent.succeeded: the PaymentIntent (status "succeeded", metadata): also sent for every
  payment; orders should act on checkout.session.completed only, not on both.
- charge.refunded: after each refund, a Charge with id (ch_...), payment_intent (pi_...), metadata (the
  payment's: order_id, order_ref), currency, amount (paid), amount_refunded (all refunds so far) and
  refunded (true once everything is refunded).
- refund.created: the Refund with id (re_...), amount, payment_intent, charge, status and its own metadata.
Each event is delivered at least once: the route ignores an event id it has seen (answers 200 duplicate).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import stripe
from flask import current_app, has_request_context, request

from core.config import ConfigError
from payments.stub.inprocess import EmbeddedStubClient
from payments.stub.mount import embedded_api_base

stripe.enable_telemetry = False

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


def api_base() -> str:
    """STRIPE_API_BASE when set; else, with the embedded stub, its address on this very server (the origin
    the current request reached the server through; outside a request SERVER_NAME or the origin the stub
    recorded); PaymentError (code api_base_unknown) when none is known."""
    configured = current_app.config.get("STRIPE_API_BASE")
    if configured:
        return configured.rstrip("/")
    if "stripe_stub_app" not in current_app.extensions:
        raise PaymentError(
            "STRIPE_API_BASE is not set and the payment stub is not embedded: set STRIPE_API_BASE to the "
            "provider's API address (Stripe: https://api.stripe.com).",
            code="api_base_unknown",
        )
    try:
        return embedded_api_base(current_app)
    except ConfigError as exc:
        raise PaymentError(str(exc), code="api_base_unknown") from exc


@contextmanager
def _client(base: str | None = None) -> Iterator[stripe.StripeClient]:
    """A StripeClient on the API base whose HTTP connections are closed afterwards."""
    config = current_app.config
    base = base or api_base()
    http = _http_client()
    try:
        yield stripe.StripeClient(
            config.get("STRIPE_API_KEY") or DEFAULT_API_KEY,
            base_addresses={"api": base},
            max_network_retries=_network_retries(config.get("STRIPE_MAX_NETWORK_RETRIES")),
            http_client=http,
        )
    except stripe.StripeError as exc:
        raise _payment_error(exc) from exc
    finally:
        http.close()


def checkout_origins() -> tuple[str, ...]:
    """Origins the hosted checkout page may be on, for the CSP form-action of pages whose form is answered by a
    redirect to it: STRIPE_CHECKOUT_ORIGIN when set; Stripe's checkout for Stripe's API; a standalone stub's
    own origin; none for the embedded stub (this server's own origin)."""
    config = current_app.config
    if config.get("STRIPE_CHECKOUT_ORIGIN"):
        return tuple(config["STRIPE_CHECKOUT_ORIGIN"].split())
    base = config.get("STRIPE_API_BASE")
    if not base:
        return ()
    parts = urlsplit(base)
    if parts.hostname == "api.stripe.com":
        return ("https://checkout.stripe.com",)
    return (f"{parts.scheme}://{parts.netloc}",) if parts.scheme in ("http", "https") and parts.netloc else ()


def _network_retries(value) -> int:
    """STRIPE_MAX_NETWORK_RETRIES, the default when unset (None or empty)."""
    return DEFAULT_MAX_NETWORK_RETRIES if value in (None, "") else int(value)


def _http_client() -> stripe.HTTPClient:
    """The embedded stub (no STRIPE_API_BASE) is called in process: a worker never waits on its own server;
    any other provider over HTTP."""
    stub = current_app.extensions.get("stripe_stub_app")
    if stub is not None and not current_app.config.get("STRIPE_API_BASE"):
        return EmbeddedStubClient(stub, current_app.extensions.get("stripe_stub_prefix", "/_stripe"))
    return stripe.RequestsClient()


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
    base = api_base()
    with _client(base) as client:
        session = client.v1.checkout.sessions.create(params=params, options={"idempotency_key": key})
    return CheckoutResult(id=session.id, url=_for_this_browser(session.url, base))


def checkout_url_for_payer(url: str) -> str:
    """A hosted page URL recorded earlier, as the current payer's browser reaches it (the embedded stub's page
    on the origin of this request; other providers' URLs unchanged)."""
    try:
        return _for_this_browser(url, api_base())
    except PaymentError:
        return url


def _for_this_browser(url: str, base: str) -> str:
    """The embedded stub's hosted page on the origin the payer's browser uses (the server itself may have
    called the stub at another address of the same server, e.g. its socket's); other URLs unchanged."""
    if current_app.config.get("STRIPE_API_BASE") or not has_request_context():
        return url
    page, api = urlsplit(url), urlsplit(base)
    if (page.scheme, page.netloc) != (api.scheme, api.netloc):
        return url
    return urlunsplit((request.scheme, request.host, page.path, page.query, page.fragment))


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
    return _status(session)


def expire_checkout_session(session_id: str) -> CheckoutStatus:
    """Close an open checkout session so that its page can no longer be paid (checkout.session.expired
    follows); PaymentError code checkout_session_unexpected_state when it is not open (paid or expired)."""
    with _client() as client:
        session = client.v1.checkout.sessions.expire(session_id).to_dict()
    return _status(session)


def _status(session: dict[str, Any]) -> CheckoutStatus:
    """Our view of a provider Checkout Session."""
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
