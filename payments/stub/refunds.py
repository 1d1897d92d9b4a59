"""Refunds: full or partial, never more than was paid less what was already refunded."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from payments.stub.errors import invalid
from payments.stub.events import emit
from payments.stub.params import HASH, SCALAR, get_int, get_str, merge_metadata, reject_unknown
from payments.stub.storage import get_object, insert_object, new_id, now, save_object

REFUND_PARAMS = {"payment_intent": SCALAR, "charge": SCALAR, "amount": SCALAR, "reason": SCALAR, "metadata": HASH}
REASONS = ("duplicate", "fraudulent", "requested_by_customer")


def create_refund(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/refunds for a payment intent or a charge."""
    reject_unknown(params, REFUND_PARAMS)
    charge = _refundable_charge(conn, params)
    remaining = charge["amount_captured"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid(f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded")
    amount = get_int(params, "amount", minimum=1)
    if amount is None:
        amount = remaining
    if amount > remaining:
        raise invalid(
            f"Refund amount ({amount}) is greater than unrefunded amount on charge ({remaining})",
            param="amount",
            code="amount_too_large",
        )
    refund = {
        "id": new_id("re_"),
        "object": "refund",
        "amount": amount,
        "charge": charge["id"],
        "currency": charge["currency"],
        "created": now(),
        "metadata": merge_metadata(params),
        "payment_intent": charge["payment_intent"],
        "reason": get_str(params, "reason", choices=REASONS),
        "status": "succeeded",
        "balance_transaction": None,
        "receipt_number": None,
        "livemode": False,
    }
    insert_object(conn, refund, ref=charge["payment_intent"])
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] == charge["amount_captured"]
    save_object(conn, charge)
    emit(conn, "refund.created", refund)
    emit(conn, "charge.refunded", charge)
    return refund


def _refundable_charge(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    """The succeeded charge named by charge= or by payment_intent='s latest charge, locked."""
    charge_id = get_str(params, "charge")
    intent_id = get_str(params, "payment_intent")
    if not charge_id and not intent_id:
        raise invalid(
            "One of the following params should be provided for this request: payment_intent or charge.",
            param="payment_intent",
            code="parameter_missing",
        )
    if intent_id:
        intent = get_object(conn, "payment_intent", intent_id, lock=True, param="payment_intent")
        if intent["status"] != "succeeded" or not intent["latest_charge"]:
            raise invalid(
                f"This PaymentIntent ({intent_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge_id = intent["latest_charge"]
    charge = get_object(conn, "charge", charge_id, lock=True, param="charge")
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise invalid(
            f"Charge {charge_id} has not succeeded and cannot be refunded.",
            param="charge",
            code="charge_not_refundable",
        )
    return charge
