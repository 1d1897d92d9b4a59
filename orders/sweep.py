"""The scheduled sweep of orders (`flask --app wsgi orders sweep`), safe to run twice and on several machines.

- an order still pending payment ORDER_PAYMENT_TIMEOUT_HOURS after it was placed is canceled, after its open
  payment pages are closed (a page that turns out paid is left alone: its webhook makes the order paid);
- an installation the resident has not confirmed ORDER_AUTO_CONFIRM_DAYS after it was recorded is confirmed;
- a canceled paid order whose refund did not reach the provider is refunded.

Each order is handled in its own transaction on a locked row (FOR UPDATE SKIP LOCKED on PostgreSQL; the
version counter everywhere), re-checked after locking, so that two sweeps at once act on it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from core.clock import now_utc
from core.db import as_utc, db
from core.i18n import N_
from orders.models import Order, OrderState
from orders.paying import PaymentUnavailable, cancel_order, close_open_payments, confirm_order, request_refund
from orders.withdrawal import CANCELED_MESSAGE

log = logging.getLogger(__name__)
S = OrderState


@dataclass
class SweepResult:
    expired: list[int] = field(default_factory=list)
    confirmed: list[int] = field(default_factory=list)
    refunds: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)


def _locked(order_id: int) -> Order | None:
    """The order locked for this transaction, or None when another sweep holds it."""
    return db.session.get(Order, order_id, with_for_update={"skip_locked": True}, populate_existing=True)


def _each(ids, act, done: list[int], skipped: list[int]) -> None:
    for order_id in ids:
        try:
            order = _locked(order_id)
            if order is None or not act(order):
                db.session.rollback()
                continue
            db.session.commit()
            done.append(order_id)
        except (StaleDataError, PaymentUnavailable) as exc:
            db.session.rollback()
            log.warning("orders sweep: order %s skipped (%s)", order_id, type(exc).__name__)
            skipped.append(order_id)


def sweep(now: datetime | None = None) -> SweepResult:
    """Run the three steps; returns what was done."""
    now = now or now_utc()
    config = current_app.config
    unpaid_before = now - timedelta(hours=int(config["ORDER_PAYMENT_TIMEOUT_HOURS"]))
    unconfirmed_before = now - timedelta(days=int(config["ORDER_AUTO_CONFIRM_DAYS"]))
    result = SweepResult()

    def expire(order: Order) -> bool:
        withdrawn = order.supplier_withdrawn_at is not None
        if order.state != S.pending_payment or (as_utc(order.created_at) > unpaid_before and not withdrawn):
            return False
        try:
            if not close_open_payments(order):
                return False  # paid at the last minute: the webhook decides
        except PaymentUnavailable:
            log.warning("orders sweep: payment pages of order %s not closed (provider unreachable); a late "
                        "payment will be refunded automatically", order.id)
        cancel_order(order, actor=None, reason=None, close_payments=False,
                     message=CANCELED_MESSAGE if withdrawn else N_("超过付款期限未付款，订单已自动取消"))
        return True

    def auto_confirm(order: Order) -> bool:
        if order.state != S.installed or as_utc(order.installed_at) > unconfirmed_before:
            return False
        confirm_order(order, actor=None)
        return True

    def refund(order: Order) -> bool:
        if order.state != S.canceled or order.paid_fen <= 0 or order.refund_id:
            return False
        return request_refund(order, actor=None)

    # unpaid too long, or of a company removed from the list whose payment pages could not be closed at once
    ids = db.session.scalars(select(Order.id).where(
        Order.state == S.pending_payment,
        or_(Order.created_at <= unpaid_before, Order.supplier_withdrawn_at.is_not(None))).order_by(Order.id)).all()
    _each(ids, expire, result.expired, result.skipped)
    ids = db.session.scalars(select(Order.id).where(Order.state == S.installed,
                                                    Order.installed_at <= unconfirmed_before).order_by(Order.id)).all()
    _each(ids, auto_confirm, result.confirmed, result.skipped)
    ids = db.session.scalars(select(Order.id).where(Order.state == S.canceled, Order.paid_fen > 0,
                                                    Order.refund_id.is_(None)).order_by(Order.id)).all()
    _each(ids, refund, result.refunds, result.skipped)
    return result
