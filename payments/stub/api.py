"""The /v1 HTTP API: Stripe's routes, authentication, parameter parsing and responses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, g, request
from sqlalchemy.engine import Connection

from payments.stub import checkout, endpoints, intents, refunds
from payments.stub.errors import authentication_error
from payments.stub.expand import check_expand, expand, with_pending
from payments.stub.idempotency import idempotent
from payments.stub.origin import remember_origin
from payments.stub.params import LIST_PARAMS, SCALAR, expand_list, get_str, parse_pairs, reject_unknown
from payments.stub.state import stub_state
from payments.stub.storage import get_object, list_objects, new_id, objects, public

bp = Blueprint("api", __name__, url_prefix="/v1")


@contextmanager
def transaction() -> Iterator[Connection]:
    """One database transaction for one API call."""
    with stub_state().engine.begin() as conn:
        yield conn


@bp.before_request
def authenticate_and_parse() -> None:
    """Require an accepted secret key, then parse the nested form or query parameters."""
    g.request_id = new_id("req_", 14)
    key = _api_key()
    if not key:
        raise authentication_error(
            "You did not provide an API key. You need to provide your API key in the "
            "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
            "YOUR_SECRET_KEY')."
        )
    if not accepted_key(key):
        raise authentication_error(
            f"Invalid API Key provided: {key[:8]}{'*' * max(len(key) - 12, 0)}{key[-4:]}"
        )
    state = stub_state()
    if state.webhook_path:
        remember_origin(state, request)  # the configured endpoint is on the server this call reached
    source = request.args if request.method in ("GET", "DELETE") else request.form
    g.params = parse_pairs(source.items(multi=True))


@bp.after_request
def stripe_headers(response):
    """Request-Id and Stripe-Version on every API response."""
    response.headers["Request-Id"] = g.get("request_id", "")
    response.headers["Stripe-Version"] = request.headers.get("Stripe-Version", "2025-01-27.acacia")
    return response


def _api_key() -> str | None:
    """The key from Bearer auth (or Basic auth with the key as user name)."""
    auth = request.authorization
    if auth is None:
        return None
    return auth.token if auth.type == "bearer" else auth.username


def accepted_key(key: str) -> bool:
    """STRIPE_STUB_API_KEYS when set (a list or comma-separated), otherwise any sk_test_ key."""
    configured = current_app.config.get("STRIPE_STUB_API_KEYS") or ()
    if isinstance(configured, str):
        configured = [item.strip() for item in configured.split(",") if item.strip()]
    if configured:
        return key in configured
    return key.startswith("sk_test_") and len(key) > len("sk_test_")


def public_base() -> str:
    """The address the hosted pages are reached at: STRIPE_STUB_PUBLIC_URL, else this host + mount point."""
    return (current_app.config.get("STRIPE_STUB_PUBLIC_URL") or request.url_root).rstrip("/")


def resource(type_: str, *, many: bool = False, params: dict[str, Any] | None = None) -> Callable:
    """A view answering with objects of type_: its parameters (when given) and expand[] checked before it
    runs, its events' pending_webhooks counted, and the expansions applied to what it returns."""

    def decorate(view: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
            if params is not None:
                reject_unknown(g.params, params)
            paths = expand_list(g.params)
            check_expand(type_, paths, many=many)
            body = view(*args, **kwargs)
            with stub_state().engine.connect() as conn:
                for obj in body["data"] if many else [body]:
                    with_pending(conn, obj)
                return expand(conn, type_, body, paths, many=many)

        return wrapper

    return decorate


def _list(type_: str, path: str, *where) -> dict[str, Any]:
    """A list page of one object type."""
    with transaction() as conn:
        return list_objects(conn, type_, g.params, f"/v1/{path}", *where)


def _get(type_: str, object_id: str) -> dict[str, Any]:
    """One object's public view."""
    with transaction() as conn:
        return public(get_object(conn, type_, object_id))


def _with_decline(result: tuple[dict[str, Any], Any]) -> dict[str, Any]:
    """Raise a recorded decline after its transaction committed, else return the object."""
    obj, error = result
    if error is not None:
        error.committed = True  # the attempt is recorded: an Idempotency-Key replays this decline
        raise error
    return public(obj)


RETRIEVE: dict[str, Any] = {}


@bp.post("/payment_intents")
@idempotent
@resource("payment_intent")
def create_payment_intent():
    """Create a PaymentIntent."""
    with transaction() as conn:
        result = intents.create_intent(conn, g.params)
    return _with_decline(result)


@bp.get("/payment_intents")
@resource("payment_intent", many=True, params=LIST_PARAMS)
def list_payment_intents():
    """List PaymentIntents."""
    return _list("payment_intent", "payment_intents")


@bp.get("/payment_intents/<intent_id>")
@resource("payment_intent", params=RETRIEVE)
def retrieve_payment_intent(intent_id: str):
    """Retrieve a PaymentIntent."""
    return _get("payment_intent", intent_id)


@bp.post("/payment_intents/<intent_id>")
@idempotent
@resource("payment_intent")
def update_payment_intent(intent_id: str):
    """Update a PaymentIntent."""
    with transaction() as conn:
        return public(intents.update_intent(conn, intent_id, g.params))


@bp.post("/payment_intents/<intent_id>/confirm")
@idempotent
@resource("payment_intent")
def confirm_payment_intent(intent_id: str):
    """Confirm a PaymentIntent: charge its payment method."""
    with transaction() as conn:
        result = intents.confirm_intent(conn, intent_id, g.params)
    return _with_decline(result)


@bp.post("/payment_intents/<intent_id>/capture")
@idempotent
@resource("payment_intent")
def capture_payment_intent(intent_id: str):
    """Capture the amount a manual-capture PaymentIntent holds."""
    with transaction() as conn:
        return public(intents.capture_intent(conn, intent_id, g.params))


@bp.post("/payment_intents/<intent_id>/cancel")
@idempotent
@resource("payment_intent")
def cancel_payment_intent(intent_id: str):
    """Cancel a PaymentIntent."""
    with transaction() as conn:
        return public(intents.cancel_intent(conn, intent_id, g.params))


@bp.get("/charges")
@resource("charge", many=True, params={**LIST_PARAMS, "payment_intent": SCALAR})
def list_charges():
    """List charges, optionally of one payment intent."""
    intent_id = get_str(g.params, "payment_intent")
    return _list("charge", "charges", *([objects.c.ref == intent_id] if intent_id else []))


@bp.get("/charges/<charge_id>")
@resource("charge", params=RETRIEVE)
def retrieve_charge(charge_id: str):
    """Retrieve a charge."""
    return _get("charge", charge_id)


@bp.post("/checkout/sessions")
@idempotent
@resource("checkout.session")
def create_checkout_session():
    """Create a Checkout Session with its hosted payment page."""
    with transaction() as conn:
        return public(checkout.create_session(conn, g.params, public_base()))


@bp.get("/checkout/sessions")
@resource("checkout.session", many=True, params=LIST_PARAMS)
def list_checkout_sessions():
    """List Checkout Sessions."""
    return _list("checkout.session", "checkout/sessions")


@bp.get("/checkout/sessions/<session_id>")
@resource("checkout.session", params=RETRIEVE)
def retrieve_checkout_session(session_id: str):
    """Retrieve a Checkout Session (expand[]=line_items includes its items)."""
    return _get("checkout.session", session_id)


@bp.get("/checkout/sessions/<session_id>/line_items")
@resource("item", many=True, params=LIST_PARAMS)
def list_checkout_line_items(session_id: str):
    """List a Checkout Session's line items."""
    with transaction() as conn:
        session = get_object(conn, "checkout.session", session_id)
    return checkout.line_items_page(session, request.path, g.params)


@bp.post("/checkout/sessions/<session_id>/expire")
@idempotent
@resource("checkout.session")
def expire_checkout_session(session_id: str):
    """Expire an open Checkout Session."""
    with transaction() as conn:
        return public(checkout.expire_session(conn, session_id, g.params))


@bp.post("/refunds")
@idempotent
@resource("refund")
def create_refund():
    """Refund all or part of a payment."""
    with transaction() as conn:
        return public(refunds.create_refund(conn, g.params))


@bp.get("/refunds")
@resource("refund", many=True, params={**LIST_PARAMS, "payment_intent": SCALAR, "charge": SCALAR})
def list_refunds():
    """List refunds, optionally of one payment intent or charge."""
    with transaction() as conn:
        intent_id = get_str(g.params, "payment_intent")
        charge_id = get_str(g.params, "charge")
        if charge_id and not intent_id:
            intent_id = get_object(conn, "charge", charge_id, param="charge")["payment_intent"]
        where = [objects.c.ref == intent_id] if intent_id else []
        return list_objects(conn, "refund", g.params, "/v1/refunds", *where)


@bp.get("/refunds/<refund_id>")
@resource("refund", params=RETRIEVE)
def retrieve_refund(refund_id: str):
    """Retrieve a refund."""
    return _get("refund", refund_id)


@bp.get("/events")
@resource("event", many=True, params={**LIST_PARAMS, "type": SCALAR})
def list_events():
    """List events, optionally of one type (payment_intent.* matches a family)."""
    type_ = get_str(g.params, "type")
    if type_ and type_.endswith(".*"):
        where = [objects.c.event_type.startswith(type_[:-1], autoescape=True)]
    else:
        where = [objects.c.event_type == type_] if type_ else []
    return _list("event", "events", *where)


@bp.get("/events/<event_id>")
@resource("event", params=RETRIEVE)
def retrieve_event(event_id: str):
    """Retrieve an event."""
    return _get("event", event_id)


@bp.post("/webhook_endpoints")
@idempotent
@resource("webhook_endpoint")
def create_webhook_endpoint():
    """Create a webhook endpoint; the response carries its secret."""
    with transaction() as conn:
        return endpoints.create_endpoint(conn, g.params)


@bp.get("/webhook_endpoints")
@resource("webhook_endpoint", many=True, params=LIST_PARAMS)
def list_webhook_endpoints():
    """List webhook endpoints."""
    return _list("webhook_endpoint", "webhook_endpoints")


@bp.get("/webhook_endpoints/<endpoint_id>")
@resource("webhook_endpoint", params=RETRIEVE)
def retrieve_webhook_endpoint(endpoint_id: str):
    """Retrieve a webhook endpoint (without its secret)."""
    return _get("webhook_endpoint", endpoint_id)


@bp.post("/webhook_endpoints/<endpoint_id>")
@idempotent
@resource("webhook_endpoint")
def update_webhook_endpoint(endpoint_id: str):
    """Update a webhook endpoint."""
    with transaction() as conn:
        return public(endpoints.update_endpoint(conn, endpoint_id, g.params))


@bp.delete("/webhook_endpoints/<endpoint_id>")
@resource("webhook_endpoint", params=RETRIEVE)
def delete_webhook_endpoint(endpoint_id: str):
    """Delete a webhook endpoint."""
    with transaction() as conn:
        return endpoints.delete_endpoint(conn, endpoint_id)
