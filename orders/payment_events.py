"""What orders do with the payment provider's verified events (payments.signals), exactly once.

payments/routes.py verifies each webhook, records its event id once (a duplicate delivery changes nothing)
and sends it here; these handlers flush and the route commits once. Events may arrive in any order and more
than once: each handler looks at where the order and the payment stand and does only what is still to do.

- checkout.session.completed: the order becomes `paid` (only while pending payment, only for the amount it
  asks). A payment that arrives for an order canceled meanwhile, or a second payment, is refunded in full
  automatically: nobody pays for what they will not get.
- payment_intent.payment_failed: a declined card; the order stays payable and the timeline says why.
- charge.refunded: the refund reached the payer: a canceled order becomes `refunded`.
- checkout.session.expired: the attempt can no longer be paid.
"""

from __future__ import annotations

from typing import Any

from core import audit
from core.db import db
from core.i18n import N_
from orders.models import Order, OrderPayment, OrderState, PaymentStatus
from orders.paying import request_refund
from orders.services import record_event, transition
from payments import gateway
from payments.gateway import PaymentError
from payments.signals import payment_event_received

S = OrderState

#: Decline codes of the provider, as the payer reads them.
DECLINE_REASONS = {
    "card_declined": N_("银行卡被拒绝"),
    "generic_decline": N_("银行卡被拒绝"),
    "insufficient_funds": N_("卡内余额不足"),
    "lost_card": N_("银行卡已挂失"),
    "stolen_card": N_("银行卡已挂失"),
    "expired_card": N_("银行卡已过期"),
    "incorrect_cvc": N_("安全码不正确"),
    "incorrect_number": N_("卡号不正确"),
    "processing_error": N_("银行处理出错"),
    "authentication_required": N_("需要银行验证"),
}
UNKNOWN_DECLINE = N_("支付未完成")


def _yuan(fen: int) -> str:
    return f"¥{fen / 100:.2f}"


def _order_of(obj: dict[str, Any]) -> Order | None:
    """The order an event's object names in its metadata (locked for the rest of the transaction on
    PostgreSQL, so that two events of one order are handled one after the other)."""
    raw = str((obj.get("metadata") or {}).get("order_id") or "")
    if not raw.isdigit():
        return None
    return db.session.get(Order, int(raw), with_for_update=True)


def _payment(order: Order, session_id: str | None) -> OrderPayment | None:
    return next((p for p in order.payments if p.checkout_session_id == session_id), None)


def on_checkout_completed(_sender, event: dict[str, Any], **_kw) -> None:
    session = event["data"]["object"]
    order = _order_of(session)
    if order is None or session.get("payment_status") != "paid":
        return
    payment = _payment(order, session.get("id"))
    if payment is not None and payment.status == PaymentStatus.paid:
        return  # the same payment told twice
    amount, intent = int(session.get("amount_total") or 0), session.get("payment_intent")
    if payment is not None:
        payment.status, payment.payment_intent_id = PaymentStatus.paid, intent
    matches = amount == order.amount_fen and str(session.get("currency", "")).lower() == "cny"
    if order.state == S.pending_payment and matches:
        order.paid_fen, order.payment_intent_id = amount, intent
        transition(order, S.paid, actor=None, message=N_("支付平台确认已收到付款 %(amount)s"),
                   params={"amount": _yuan(amount)}, notify_message=N_("订单 %(number)s 已付款，等待安装单位预约"))
        return
    if order.state == S.canceled and order.paid_fen == 0 and matches:
        # paid on a page opened before the order was canceled: take it in, then give it back
        order.paid_fen, order.payment_intent_id = amount, intent
        record_event(order, N_("订单取消后收到付款 %(amount)s，系统已自动申请全额退款"),
                     params={"amount": _yuan(amount)})
        audit.record(None, "order.late_payment", order, extra={"amount_fen": amount, "payment_intent": intent})
        request_refund(order, actor=None)
        return
    _refund_extra_payment(order, payment, intent, amount)


def _refund_extra_payment(order: Order, payment: OrderPayment | None, intent: str | None, amount: int) -> None:
    """A payment the order does not need (a second one, or a wrong amount): refund it in full at once. A
    provider failure raises, so that the event is not recorded and the provider delivers it again."""
    if not intent:
        return
    try:
        result = gateway.refund(intent, reason="duplicate", idempotency_key=f"payment-{intent}-refund")
    except PaymentError as exc:
        raise RuntimeError(f"refund of an extra payment on order {order.id} failed: {exc.code}") from exc
    if payment is not None:
        payment.refund_id = result.id
    record_event(order, N_("收到一笔多余的付款 %(amount)s，已自动全额退回"), params={"amount": _yuan(amount)})
    audit.record(None, "order.extra_payment_refunded", order,
                 extra={"amount_fen": amount, "payment_intent": intent, "refund": result.id})


def on_payment_failed(_sender, event: dict[str, Any], **_kw) -> None:
    intent = event["data"]["object"]
    order = _order_of(intent)
    if order is None or order.state != S.pending_payment:
        return  # a late failure notice changes nothing once the order moved on
    error = intent.get("last_payment_error") or {}
    code = error.get("decline_code") or error.get("code") or ""
    payment = order.payments[-1] if order.payments else None
    if payment is not None:
        payment.failure_code = str(code)[:100] or None
    record_event(order, N_("付款未成功（%(reason)s），订单仍可付款，可换一张卡再试"),
                 params={"reason": DECLINE_REASONS.get(code, UNKNOWN_DECLINE)})


def on_charge_refunded(_sender, event: dict[str, Any], **_kw) -> None:
    charge = event["data"]["object"]
    order = _order_of(charge)
    if order is None:
        return
    intent = charge.get("payment_intent")
    refunded = int(charge.get("amount_refunded") or 0)
    if not intent or intent != order.payment_intent_id:
        extra = next((p for p in order.payments if p.payment_intent_id == intent), None)
        if extra is not None:
            record_event(order, N_("多余的付款 %(amount)s 已退回到账"), params={"amount": _yuan(refunded)})
        return
    before = order.refunded_fen
    order.refunded_fen = min(refunded, order.paid_fen)
    if not charge.get("refunded") or order.refunded_fen < order.paid_fen:
        if order.refunded_fen != before:
            record_event(order, N_("部分退款 %(amount)s 已到账"), params={"amount": _yuan(order.refunded_fen - before)})
        return
    if order.state == S.canceled:
        transition(order, S.refunded, actor=None, message=N_("退款 %(amount)s 已退回付款账户"),
                   params={"amount": _yuan(order.refunded_fen)})
    elif order.state in (S.paid, S.scheduled):  # refunded at the provider without a cancellation here
        transition(order, S.refunded, actor=None, message=N_("支付平台已全额退款 %(amount)s，订单随之取消"),
                   params={"amount": _yuan(order.refunded_fen)})
    else:
        record_event(order, N_("支付平台已全额退款 %(amount)s"), params={"amount": _yuan(order.refunded_fen)})


def on_session_expired(_sender, event: dict[str, Any], **_kw) -> None:
    session = event["data"]["object"]
    order = _order_of(session)
    payment = _payment(order, session.get("id")) if order is not None else None
    if payment is not None and payment.status == PaymentStatus.open:
        payment.status = PaymentStatus.expired


HANDLERS = {
    "checkout.session.completed": on_checkout_completed,
    "payment_intent.payment_failed": on_payment_failed,
    "charge.refunded": on_charge_refunded,
    "checkout.session.expired": on_session_expired,
}


def connect() -> None:
    """Listen to the payments package (called once by the app factory; connecting twice changes nothing)."""
    for event_type, handler in HANDLERS.items():
        payment_event_received.connect(handler, sender=event_type, weak=False)

