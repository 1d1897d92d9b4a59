"""Checkout Sessions: create, expire, and pay on the hosted page."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Connection

from payments.stub.cards import card_from_number
from payments.stub.errors import StripeError, invalid
from payments.stub.events import emit
from payments.stub.intents import CAPTURE_METHODS, charge_intent, new_intent
from payments.stub.params import (
    HASH,
    SCALAR,
    get_dict,
    get_int,
    get_list,
    get_str,
    merge_metadata,
    reject_unknown,
)
from payments.stub.storage import get_object, insert_object, new_id, now, save_object

LINE_ITEM = {
    "quantity": SCALAR,
    "price": SCALAR,
    "price_data": {"currency": SCALAR, "unit_amount": SCALAR, "product_data": {"name": SCALAR}},
}
SESSION_PARAMS = {
    "mode": SCALAR,
    "success_url": SCALAR,
    "cancel_url": SCALAR,
    "line_items": [LINE_ITEM],
    "amount": SCALAR,
    "currency": SCALAR,
    "metadata": HASH,
    "client_reference_id": SCALAR,
    "customer_email": SCALAR,
    "payment_method_types": [SCALAR],
    "payment_intent_data": {"metadata": HASH, "capture_method": SCALAR, "description": SCALAR},
    "expires_at": SCALAR,
    "locale": SCALAR,
    "submit_type": SCALAR,
    "billing_address_collection": SCALAR,
}
SUBMIT_TYPES = ("auto", "book", "donate", "pay")
DAY = 24 * 3600


def create_session(conn: Connection, params: dict[str, Any], public_base: str) -> dict[str, Any]:
    """POST /v1/checkout/sessions in payment mode, with line items or a plain amount."""
    reject_unknown(params, SESSION_PARAMS)
    get_str(params, "mode", required=True, choices=("payment",))
    success_url = _url(params, "success_url", required=True)
    cancel_url = _url(params, "cancel_url")
    items = _line_items(params)
    for index, value in enumerate(get_list(params, "payment_method_types")):
        if value != "card":
            raise invalid(
                f"The payment method type {value!r} is not supported here; only 'card' is.",
                param=f"payment_method_types[{index}]",
                code="payment_method_unactivated",
            )
    intent_data = get_dict(params, "payment_intent_data")
    currencies = {item["currency"] for item in items}
    if len(currencies) != 1:
        raise invalid("All line items must use the same currency.", param="line_items")
    session_id = new_id("cs_test_", 58)
    created = now()
    total = sum(item["amount_total"] for item in items)
    session = {
        "id": session_id,
        "object": "checkout.session",
        "mode": "payment",
        "status": "open",
        "payment_status": "unpaid",
        "amount_subtotal": total,
        "amount_total": total,
        "currency": currencies.pop(),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "url": f"{public_base}/c/pay/{session_id}",
        "metadata": merge_metadata(params),
        "client_reference_id": get_str(params, "client_reference_id", max_length=200),
        "customer_email": get_str(params, "customer_email"),
        "customer_details": None,
        "payment_intent": None,
        "payment_method_types": ["card"],
        "created": created,
        "livemode": False,
        "expires_at": get_int(params, "expires_at", minimum=created + 1800, maximum=created + DAY)
        or created + DAY,
        "locale": get_str(params, "locale"),
        "submit_type": get_str(params, "submit_type", choices=SUBMIT_TYPES),
        "billing_address_collection": get_str(
            params, "billing_address_collection", choices=("auto", "required")
        ) or "auto",
        "_token": new_id("", 32),
        "_line_items": items,
        "_intent_metadata": merge_metadata(intent_data),
        "_intent_capture_method": get_str(intent_data, "capture_method", choices=CAPTURE_METHODS) or "automatic",
        "_intent_description": get_str(intent_data, "description"),
    }
    return insert_object(conn, session)


def line_items_page(session: dict[str, Any], url: str, params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/checkout/sessions/{id}/line_items, in order, with limit, starting_after and ending_before."""
    items = session["_line_items"]
    limit = get_int(params, "limit", minimum=1, maximum=100) or 10
    ids = [item["id"] for item in items]
    for name in ("starting_after", "ending_before"):
        cursor = get_str(params, name)
        if cursor is not None and cursor not in ids:
            raise invalid(f"No such line item: '{cursor}'", param=name, code="resource_missing")
    after, before = get_str(params, "starting_after"), get_str(params, "ending_before")
    if after:
        page = items[ids.index(after) + 1 :]
        has_more = len(page) > limit
        page = page[:limit]
    elif before:
        earlier = items[: ids.index(before)]
        page = earlier[-limit:]
        has_more = len(earlier) > limit
    else:
        page, has_more = items[:limit], len(items) > limit
    return {"object": "list", "url": url, "has_more": has_more, "data": page}


def expire_session(conn: Connection, session_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/checkout/sessions/{id}/expire: only an open session can expire."""
    reject_unknown(params, {})
    session = get_object(conn, "checkout.session", session_id, lock=True)
    if session["status"] != "open":
        raise invalid(
            f"Only Checkout Sessions with a status of open can be expired; this one is {session['status']}.",
            code="checkout_session_unexpected_state",
        )
    session["status"] = "expired"
    save_object(conn, session)
    emit(conn, "checkout.session.expired", session)
    return session


def pay_session(
    conn: Connection, session_id: str, token: str, number: str
) -> tuple[dict[str, Any], StripeError | None]:
    """Pay an open session with a typed card number; a decline is returned, not raised."""
    session = get_object(conn, "checkout.session", session_id, lock=True)
    if not hmac.compare_digest(token.encode(), session["_token"].encode()):
        return session, invalid("This payment form has expired; reload the page.", code="token_mismatch")
    if not is_payable(session):
        return session, invalid(
            "This Checkout Session is no longer open.", code="checkout_session_unexpected_state"
        )
    try:
        card = card_from_number(number)
    except StripeError as error:
        return session, error
    intent = _session_intent(conn, session)
    intent, error = charge_intent(conn, intent, card)
    if error is None:
        session.update(
            status="complete",
            # A manual capture only holds the money: not paid until the intent is captured.
            payment_status="unpaid" if intent["status"] == "requires_capture" else "paid",
            customer_details={"email": session["customer_email"], "name": None},
        )
        save_object(conn, session)
        emit(conn, "checkout.session.completed", session)
    return session, error


def is_payable(session: dict[str, Any]) -> bool:
    """An open session that has not passed its expiry time."""
    return session["status"] == "open" and session["expires_at"] > now()


def _session_intent(conn: Connection, session: dict[str, Any]) -> dict[str, Any]:
    """The session's PaymentIntent, created at the first payment attempt."""
    if session["payment_intent"]:
        return get_object(conn, "payment_intent", session["payment_intent"], lock=True)
    intent = new_intent(
        conn,
        amount=session["amount_total"],
        currency=session["currency"],
        metadata=dict(session["_intent_metadata"]),
        description=session.get("_intent_description"),
        capture_method=session.get("_intent_capture_method", "automatic"),
    )
    session["payment_intent"] = intent["id"]
    save_object(conn, session)
    return intent


def _line_items(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Line items from line_items[n][price_data], or a single item from amount + currency."""
    raw = get_list(params, "line_items")
    if not raw:
        amount = get_int(params, "amount", required=True, minimum=1, maximum=99_999_999)
        currency = _currency_code(get_str(params, "currency", required=True), "currency")
        return [_item(amount, 1, currency, "Payment")]
    return [_item_from(entry, index) for index, entry in enumerate(raw)]


def _item_from(entry: Any, index: int) -> dict[str, Any]:
    """One line item from its price_data and quantity."""
    prefix = f"line_items[{index}]"
    if not isinstance(entry, dict):
        raise invalid(f"Invalid {prefix}", param=prefix)
    if entry.get("price"):
        raise invalid(f"No such price: '{entry['price']}'", param=f"{prefix}[price]", code="resource_missing")
    price = get_dict(entry, "price_data")
    if not price:
        raise invalid(
            f"Missing required param: {prefix}[price_data].",
            param=f"{prefix}[price_data]",
            code="parameter_missing",
        )
    unit = get_int(price, "unit_amount", required=True, minimum=0, maximum=99_999_999)
    quantity = get_int(entry, "quantity", minimum=1, maximum=999_999) or 1
    name = get_str(get_dict(price, "product_data"), "name", required=True, max_length=250)
    return _item(unit, quantity, _currency_code(get_str(price, "currency", required=True), prefix), name)


def _item(unit: int, quantity: int, currency: str, name: str) -> dict[str, Any]:
    """A line item object as Stripe lists it."""
    price = {
        "id": new_id("price_"),
        "object": "price",
        "currency": currency,
        "unit_amount": unit,
        "product": new_id("prod_"),
        "type": "one_time",
        "livemode": False,
    }
    return {
        "id": new_id("li_"),
        "object": "item",
        "amount_subtotal": unit * quantity,
        "amount_total": unit * quantity,
        "amount_discount": 0,
        "amount_tax": 0,
        "currency": currency,
        "description": name,
        "quantity": quantity,
        "price": price,
    }


def _currency_code(value: str, param: str) -> str:
    """A three-letter currency code in lower case."""
    if len(value) != 3 or not value.isalpha():
        raise invalid(f"Invalid currency: {value}", param=param, code="parameter_invalid_string")
    return value.lower()


def _url(params: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    """An absolute http(s) URL parameter."""
    value = get_str(params, name, required=required, max_length=5000)
    if value is not None and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
        raise invalid(f"Not a valid URL: {name}", param=name, code="url_invalid")
    return value
