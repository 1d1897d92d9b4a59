"""PaymentIntents and the charges they make: create, update, confirm, cancel."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from payments.stub.cards import Card, card_from_number, card_from_payment_method
from payments.stub.errors import StripeError, invalid, unexpected_state
from payments.stub.events import emit
from payments.stub.params import (
    HASH,
    SCALAR,
    get_bool,
    get_dict,
    get_int,
    get_list,
    get_str,
    merge_metadata,
    reject_unknown,
)
from payments.stub.storage import get_object, insert_object, new_id, now, public, save_object

CARD_DATA = {"type": SCALAR, "card": {"number": SCALAR, "exp_month": SCALAR, "exp_year": SCALAR, "cvc": SCALAR}}
CREATE_PARAMS = {
    "amount": SCALAR,
    "currency": SCALAR,
    "metadata": HASH,
    "description": SCALAR,
    "payment_method": SCALAR,
    "payment_method_types": [SCALAR],
    "payment_method_data": CARD_DATA,
    "confirm": SCALAR,
    "automatic_payment_methods": {"enabled": SCALAR, "allow_redirects": SCALAR},
    "receipt_email": SCALAR,
    "statement_descriptor": SCALAR,
    "capture_method": SCALAR,
}
UPDATE_PARAMS = {
    "amount": SCALAR,
    "currency": SCALAR,
    "metadata": HASH,
    "description": SCALAR,
    "payment_method": SCALAR,
    "payment_method_types": [SCALAR],
    "receipt_email": SCALAR,
    "statement_descriptor": SCALAR,
}
CONFIRM_PARAMS = {"payment_method": SCALAR, "payment_method_data": CARD_DATA, "receipt_email": SCALAR}
CAPTURE_PARAMS = {"amount_to_capture": SCALAR, "metadata": HASH}
CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
CONFIRMABLE = {"requires_payment_method", "requires_confirmation"}
CANCELABLE = {"requires_payment_method", "requires_confirmation", "requires_action", "requires_capture"}
CANCEL_REASONS = ("duplicate", "fraudulent", "requested_by_customer", "abandoned")


def new_intent(
    conn: Connection,
    *,
    amount: int,
    currency: str,
    metadata: dict[str, str],
    description: str | None = None,
    capture_method: str = "automatic",
) -> dict[str, Any]:
    """Store a PaymentIntent awaiting a payment method and emit payment_intent.created."""
    intent_id = new_id("pi_")
    intent = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "currency": currency,
        "status": "requires_payment_method",
        "metadata": metadata,
        "created": now(),
        "livemode": False,
        "description": description,
        "payment_method": None,
        "payment_method_types": ["card"],
        "latest_charge": None,
        "last_payment_error": None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "confirmation_method": "automatic",
        "next_action": None,
        "client_secret": f"{intent_id}_secret_{new_id('', 25)}",
        "receipt_email": None,
        "statement_descriptor": None,
        "automatic_payment_methods": None,
    }
    insert_object(conn, intent, ref=intent_id)
    emit(conn, "payment_intent.created", intent)
    return intent


def create_intent(conn: Connection, params: dict[str, Any]) -> tuple[dict[str, Any], StripeError | None]:
    """POST /v1/payment_intents, confirming at once when confirm=true."""
    reject_unknown(params, CREATE_PARAMS)
    amount = get_int(params, "amount", required=True, minimum=1, maximum=99_999_999)
    currency = _currency(params, required=True)
    card = _card_param(params)
    _payment_method_types(params)
    capture_method = get_str(params, "capture_method", choices=CAPTURE_METHODS) or "automatic"
    automatic = get_dict(params, "automatic_payment_methods")
    if automatic:
        automatic = {"enabled": get_bool(automatic, "enabled"),
                     "allow_redirects": get_str(automatic, "allow_redirects", choices=("always", "never"))}
    confirm = get_bool(params, "confirm")
    if confirm and card is None:
        raise invalid(
            "You must provide a payment_method to confirm this PaymentIntent.",
            param="payment_method",
            code="parameter_missing",
        )
    intent = new_intent(
        conn,
        amount=amount,
        currency=currency,
        metadata=merge_metadata(params),
        description=get_str(params, "description"),
        capture_method=capture_method,
    )
    intent.update(
        receipt_email=get_str(params, "receipt_email"),
        statement_descriptor=get_str(params, "statement_descriptor", max_length=22),
        automatic_payment_methods=automatic or None,
    )
    if card is not None:
        _attach(intent, card)
    save_object(conn, intent)
    return charge_intent(conn, intent, card) if confirm else (intent, None)


def update_intent(conn: Connection, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}: amount, currency and method only before it is confirmed."""
    reject_unknown(params, UPDATE_PARAMS)
    intent = get_object(conn, "payment_intent", intent_id, lock=True)
    money_fields = {"amount", "currency", "payment_method"} & params.keys()
    if money_fields and intent["status"] not in CONFIRMABLE:
        raise unexpected_state(intent, "update " + ", ".join(sorted(money_fields)) + " of")
    if "amount" in params:
        intent["amount"] = get_int(params, "amount", required=True, minimum=1, maximum=99_999_999)
    if "currency" in params:
        intent["currency"] = _currency(params, required=True)
    card = _card_param(params)
    if card is not None:
        _attach(intent, card)
    _payment_method_types(params)
    for field in ("description", "receipt_email"):
        if field in params:
            intent[field] = get_str(params, field)
    if "statement_descriptor" in params:
        intent["statement_descriptor"] = get_str(params, "statement_descriptor", max_length=22)
    intent["metadata"] = merge_metadata(params, intent["metadata"])
    return save_object(conn, intent)


def confirm_intent(
    conn: Connection, intent_id: str, params: dict[str, Any]
) -> tuple[dict[str, Any], StripeError | None]:
    """POST /v1/payment_intents/{id}/confirm: charge the payment method."""
    reject_unknown(params, CONFIRM_PARAMS)
    intent = get_object(conn, "payment_intent", intent_id, lock=True)
    if intent["status"] not in CONFIRMABLE:
        raise unexpected_state(intent, "confirm")
    card = _card_param(params) or _stored_card(intent)
    if card is None:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            param="payment_method",
            code="payment_intent_unexpected_state",
            payment_intent=public(intent),
        )
    return charge_intent(conn, intent, card)


def capture_intent(conn: Connection, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}/capture: take all or part of the amount held by a manual capture."""
    reject_unknown(params, CAPTURE_PARAMS)
    intent = get_object(conn, "payment_intent", intent_id, lock=True)
    if intent["status"] != "requires_capture":
        raise unexpected_state(intent, "capture")
    amount = get_int(params, "amount_to_capture", minimum=1, maximum=intent["amount_capturable"])
    amount = intent["amount_capturable"] if amount is None else amount
    charge = get_object(conn, "charge", intent["latest_charge"], lock=True)
    charge.update(captured=True, amount_captured=amount)
    save_object(conn, charge)
    intent.update(
        status="succeeded",
        amount_received=amount,
        amount_capturable=0,
        metadata=merge_metadata(params, intent["metadata"]),
    )
    save_object(conn, intent)
    emit(conn, "charge.captured", charge)
    emit(conn, "payment_intent.succeeded", intent)
    return intent


def cancel_intent(conn: Connection, intent_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/payment_intents/{id}/cancel."""
    reject_unknown(params, {"cancellation_reason"})
    intent = get_object(conn, "payment_intent", intent_id, lock=True)
    if intent["status"] not in CANCELABLE:
        raise unexpected_state(intent, "cancel")
    intent.update(
        status="canceled",
        amount_capturable=0,  # a held amount is released
        canceled_at=now(),
        cancellation_reason=get_str(params, "cancellation_reason", choices=CANCEL_REASONS),
    )
    save_object(conn, intent)
    emit(conn, "payment_intent.canceled", intent)
    return intent


def charge_intent(
    conn: Connection, intent: dict[str, Any], card: Card
) -> tuple[dict[str, Any], StripeError | None]:
    """Charge a card for the intent's amount; a decline is recorded and returned, not raised."""
    error = card.decline()
    manual = intent["capture_method"] == "manual"
    charge = _new_charge(conn, intent, card, error, captured=not manual)
    intent["latest_charge"] = charge["id"]
    intent.pop("_card", None)
    if error is None:
        intent.update(payment_method=card.payment_method, last_payment_error=None)
        if manual:
            intent.update(status="requires_capture", amount_capturable=intent["amount"])
        else:
            intent.update(status="succeeded", amount_received=intent["amount"])
        save_object(conn, intent)
        emit(conn, "charge.succeeded", charge)
        emit(conn, "payment_intent.amount_capturable_updated" if manual else "payment_intent.succeeded", intent)
        return intent, None
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        last_payment_error={**error.to_dict(), "charge": charge["id"]},
    )
    save_object(conn, intent)
    emit(conn, "charge.failed", charge)
    emit(conn, "payment_intent.payment_failed", intent)
    error.extra.update(charge=charge["id"], payment_intent=public(intent))
    return intent, error


def _new_charge(
    conn: Connection, intent: dict[str, Any], card: Card, error: StripeError | None, *, captured: bool
) -> dict[str, Any]:
    """Store the charge object of one payment attempt (an uncaptured one only holds the amount)."""
    paid = error is None
    captured = paid and captured
    charge = {
        "id": new_id("ch_"),
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if captured else 0,
        "amount_refunded": 0,
        "captured": captured,
        "currency": intent["currency"],
        "created": now(),
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "description": intent["description"],
        "paid": paid,
        "payment_intent": intent["id"],
        "payment_method": card.payment_method,
        "payment_method_details": card.details(),
        "refunded": False,
        "status": "succeeded" if paid else "failed",
        "failure_code": None if paid else error.code,
        "failure_message": None if paid else error.message,
        "outcome": {
            "type": "authorized" if paid else "issuer_declined",
            "network_status": "approved_by_network" if paid else "declined_by_network",
            "reason": None if paid else error.extra.get("decline_code"),
            "risk_level": "normal",
        },
        "receipt_email": intent.get("receipt_email"),
        "balance_transaction": None,
    }
    return insert_object(conn, charge, ref=intent["id"])


def _card_param(params: dict[str, Any]) -> Card | None:
    """The card given as payment_method (pm_card_*) or payment_method_data[card][number]."""
    payment_method = get_str(params, "payment_method")
    if payment_method:
        return card_from_payment_method(payment_method)
    card_data = get_dict(get_dict(params, "payment_method_data"), "card")
    if card_data.get("number"):
        return card_from_number(str(card_data["number"]), param="payment_method_data[card][number]")
    return None


def _attach(intent: dict[str, Any], card: Card) -> None:
    """Attach a payment method to an intent that is then ready to confirm."""
    intent.update(payment_method=card.payment_method, status="requires_confirmation", _card=card.stored())


def _stored_card(intent: dict[str, Any]) -> Card | None:
    """The card behind the intent's attached payment method, if any (brand, last4, behaviour: no number)."""
    if not intent.get("payment_method") or not intent.get("_card"):
        return None
    return Card.from_stored(intent["_card"])


def _payment_method_types(params: dict[str, Any]) -> None:
    """payment_method_types: the stub takes cards only, and says so rather than ignoring the others."""
    for index, value in enumerate(get_list(params, "payment_method_types")):
        if value != "card":
            raise invalid(
                f"The payment method type {value!r} is not supported here; only 'card' is.",
                param=f"payment_method_types[{index}]",
                code="payment_method_unactivated",
            )


def _currency(params: dict[str, Any], *, required: bool = False) -> str | None:
    """A three-letter ISO currency, lower case."""
    value = get_str(params, "currency", required=required)
    if value is None:
        return None
    if len(value) != 3 or not value.isalpha():
        raise invalid(f"Invalid currency: {value}", param="currency", code="parameter_invalid_string")
    return value.lower()
