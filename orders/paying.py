"""Paying, canceling, refunding and confirming orders (SPEC 3.3, 3.5), through payments.gateway only.

The order becomes `paid` only from the provider's verified webhook (orders.payment_events), never from the
browser coming back. Each payment attempt is one Checkout Session with its own idempotency key; a session
that is still open is reused, so a resident who clicks "pay" twice gets the same page and cannot pay twice.
Functions flush and never commit, except where a provider call must follow a committed state (said so).
"""

from __future__ import annotations

from flask import current_app, url_for

from core import audit
from core.db import db
from core.errors import DomainError, NotAllowed
from core.i18n import N_, _
from orders.models import CANCELABLE, Order, OrderPayment, OrderState, PaymentStatus
from orders.services import record_event, transition
from payments import gateway
from payments.gateway import PaymentError

S = OrderState


class PaymentUnavailable(DomainError):
    """The provider could not be reached or refused the request; nothing was changed."""

    status_code = 502

    def __init__(self, exc: PaymentError | None = None) -> None:
        super().__init__(_("暂时无法连接支付平台，订单已保存，请稍后在订单页面重新付款。"), code="payment_unavailable")
        self.cause = exc


def line_items(order: Order) -> list[dict]:
    """What the hosted page lists; it adds up to the amount payable (a subsidy makes it one line)."""
    if order.subsidy_fen == 0:
        return [{"name": line.description or order.number, "unit_amount_fen": line.unit_total_fen,
                 "quantity": line.quantity} for line in order.lines]
    names = "、".join(f"{line.description} × {line.quantity}" for line in order.lines)
    return [{"name": _("%(items)s（已扣除补贴）", items=names), "unit_amount_fen": order.amount_fen, "quantity": 1}]


def open_payment(order: Order) -> OrderPayment | None:
    """The latest attempt if it is still open."""
    payment = order.payments[-1] if order.payments else None
    return payment if payment is not None and payment.status == PaymentStatus.open else None


def start_payment(order: Order, *, actor) -> str:
    """The hosted checkout page to send the resident to: the open session's, or a new attempt's.

    Raises NotAllowed when the order is not payable by `actor`, PaymentUnavailable when the provider fails,
    and DomainError code `already_paid` when the provider says the open session was paid (the webhook that
    makes the order paid is on its way)."""
    if order.state == OrderState.pending_payment and (
            order.supplier_withdrawn_at is not None or order.supplier.is_barred()):
        raise NotAllowed(_("%(company)s 已被移出清单或暂停销售安装，这个订单不能再付款；请取消后改选清单上的其他单位。",
                           company=order.supplier.legal_name))
    if not order.can_pay(actor):
        raise NotAllowed(_("这个订单现在不需要付款。"))
    current = open_payment(order)
    if current is not None:
        try:
            status = gateway.retrieve_checkout_session(current.checkout_session_id)
        except PaymentError as exc:
            raise PaymentUnavailable(exc) from exc
        if status.paid:
            raise DomainError(_("您已付款，支付平台正在确认，请稍候刷新页面。"), code="already_paid")
        if status.status == "open":
            return gateway.checkout_url_for_payer(current.checkout_url)
        current.status = PaymentStatus.expired
    attempt = order.payment_attempts + 1
    try:
        result = gateway.create_checkout_session(
            order_ref=order.number, amount_fen=order.amount_fen, line_items=line_items(order),
            success_url=url_for("orders.detail", order_id=order.id, checkout="done", _external=True),
            cancel_url=url_for("orders.detail", order_id=order.id, checkout="back", _external=True),
            metadata={"order_id": str(order.id)}, attempt=attempt)
    except PaymentError as exc:
        raise PaymentUnavailable(exc) from exc
    order.payment_attempts = attempt
    order.checkout_session_id = result.id
    db.session.add(OrderPayment(order=order, attempt=attempt, checkout_session_id=result.id,
                                checkout_url=result.url, amount_fen=order.amount_fen, status=PaymentStatus.open))
    record_event(order, N_("已打开付款页面（第 %(attempt)s 次）"), actor=actor, params={"attempt": attempt})
    audit.record(actor, "order.payment_started", order, extra={"attempt": attempt, "checkout_session": result.id})
    db.session.flush()
    return result.url


def close_open_payments(order: Order) -> bool:
    """Expire the order's open checkout sessions so they can no longer be paid; False when the provider says
    one was paid already (its webhook will follow) — then the order must not be canceled as unpaid."""
    for payment in order.payments:
        if payment.status != PaymentStatus.open:
            continue
        try:
            gateway.expire_checkout_session(payment.checkout_session_id)
        except PaymentError as exc:
            if exc.code != "checkout_session_unexpected_state":
                raise PaymentUnavailable(exc) from exc
            status = gateway.retrieve_checkout_session(payment.checkout_session_id)
            if status.paid:
                return False
        payment.status = PaymentStatus.expired
    return True


def cancel_order(order: Order, *, actor, reason: str | None, by_supplier: bool = False,
                 message: str | None = None, close_payments: bool = True) -> None:
    """Cancel before installation. A paid order is then refunded in full: the caller commits the cancellation
    and then calls `request_refund` (so that no provider call holds the database), and the order becomes
    `refunded` on the refund's webhook. The supplier must give a reason, which the resident sees. `actor` None
    is the sweep, which closes the open payment pages itself (`close_payments` False)."""
    if order.state in (S.canceled, S.refunded):  # canceled already (another tab, the sweep): say so
        raise DomainError(_("订单已取消。"), code="not_cancelable")
    if order.state not in CANCELABLE:
        raise DomainError(_("订单已安装，不能再取消。如有问题请联系安装单位或投诉。"), code="not_cancelable")
    if by_supplier and not (reason or "").strip():
        raise DomainError(_("请写明取消原因，用户会看到。"), field="reason")
    if order.state == S.pending_payment and close_payments and not close_open_payments(order):
        raise DomainError(_("这个订单刚刚付款成功，正在确认中，暂时不能取消。请稍后再试。"), code="payment_in_flight")
    order.cancel_reason = reason or None
    order.canceled_by_id = getattr(actor, "id", None)
    if message is None:
        message = N_("安装单位取消了订单") if by_supplier else N_("订单已取消")
    transition(order, S.canceled, actor=actor, message=message, note=reason or None, reason=reason,
               notify_message=N_("订单 %(number)s 已取消") if not by_supplier else
               N_("安装单位取消了订单 %(number)s"), told=("officials",) if by_supplier else ())


def request_refund(order: Order, *, actor) -> bool:
    """Ask the provider for the full refund of a canceled paid order (idempotent: one refund per order);
    False when the provider failed (the order waits in `canceled`, refund pending, and the sweep retries)."""
    if order.refund_id or not order.payment_intent_id or order.paid_fen <= order.refunded_fen:
        return bool(order.refund_id)
    try:
        result = gateway.refund(order.payment_intent_id, reason="requested_by_customer",
                                idempotency_key=f"order-{order.id}-refund")
    except PaymentError:
        record_event(order, N_("退款申请暂未送达支付平台，系统会自动重试"), actor=None)
        return False
    order.refund_id = result.id
    record_event(order, N_("已申请全额退款 %(amount)s，到账后订单变为“已退款”"), actor=actor,
                 params={"amount": f"¥{order.paid_fen / 100:.2f}"})
    audit.record(actor, "order.refund_requested", order, extra={"refund": result.id, "amount_fen": order.paid_fen})
    db.session.flush()
    return True


def confirm_order(order: Order, *, actor) -> None:
    """The resident confirms the installation (or the sweep after ORDER_AUTO_CONFIRM_DAYS, actor None)."""
    if actor is not None and not order.is_resident(actor):
        raise NotAllowed(_("只有下单的用户可以在安装后确认。"))
    # the resident, in a state other than installed: transition() says which state the order is in
    message = N_("用户确认安装完成") if actor is not None else N_("用户 %(days)s 天内未确认，系统自动确认安装")
    transition(order, S.confirmed, actor=actor, message=message,
               params={"days": current_app.config["ORDER_AUTO_CONFIRM_DAYS"]}, told=("inspectors",))
