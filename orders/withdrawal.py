"""A supplier taken off a district's list (a sanction, SPEC 3.6): what happens to its open orders there.

`withdraw_supplier` is called by complaints.sanctions right after the registry made the new list version. Orders
not yet paid are canceled (the resident is told by the cancellation). Orders paid but not yet installed are
flagged (`supplier_withdrawn_at`, `supplier_withdrawn_case`): the resident is told and offered a full refund on
the order page (orders.routes, the ordinary cancellation with its refund) or to choose another supplier from the
list. It flushes and never commits; it is safe to run twice (a flagged order is left alone).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from core import audit
from core.clock import now_utc
from core.db import db
from core.errors import DomainError
from core.i18n import N_, _
from core.notifications import notify
from orders.models import Order, OrderState
from orders.paying import cancel_order
from orders.services import record_event
from suppliers.models import Supplier

S = OrderState
#: Paid but not installed: the resident may take the money back or go to another supplier.
FLAGGED_STATES = frozenset({S.paid, S.scheduled})

CANCELED_MESSAGE = N_("安装单位已被移出目录清单，未付款的订单已自动取消")
FLAGGED_EVENT = N_("安装单位已被移出目录清单（案件编号 %(case_number)s）。您可以申请全额退款，"
                   "或改选清单上的其他安装单位。")
FLAGGED_SUBJECT = N_("订单 %(number)s：安装单位已被移出目录清单")
FLAGGED_BODY = N_("您订单的安装单位 %(supplier)s 已被移出目录清单（案件编号 %(case_number)s）。"
                  "请在订单页面申请全额退款，或改选清单上的其他安装单位。")
#: The cancellation reason the resident reads (stored as written, in the language of the regulator's page).
CANCEL_REASON = N_("安装单位已被移出目录清单（案件编号 %(case_number)s）")


@dataclass
class Withdrawal:
    """What withdraw_supplier did: order numbers canceled, flagged, and left (payment still in flight)."""

    canceled: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"canceled_orders": list(self.canceled), "flagged_orders": list(self.flagged)}


def open_orders(supplier: Supplier, district_ids) -> list[Order]:
    """The supplier's orders in these districts that are not installed, canceled or refunded yet."""
    ids = sorted(set(district_ids))
    if not ids:
        return []
    return list(db.session.scalars(select(Order).where(
        Order.supplier_id == supplier.id, Order.district_id.in_(ids),
        Order.state.in_(sorted({S.pending_payment, *FLAGGED_STATES}))).order_by(Order.id)))


def flag_order(order: Order, *, actor, case_number: str | None) -> bool:
    """Mark a paid, not installed order as withdrawn and tell the resident; False when it was flagged already."""
    if order.supplier_withdrawn_at is not None:
        return False
    now = now_utc()
    order.supplier_withdrawn_at, order.supplier_withdrawn_case = now, case_number
    params = {"case_number": case_number or "—"}
    record_event(order, FLAGGED_EVENT, actor=actor, params=params)
    audit.record(actor, "order.supplier_withdrawn", order, {"supplier_withdrawn_at": (None, now)},
                 extra={"case_number": case_number, "state": order.state.value if order.state else None})
    notify([order.resident], FLAGGED_SUBJECT, FLAGGED_BODY,
           params={"number": order.number, "supplier": order.supplier.legal_name, **params},
           link=f"/orders/{order.id}")
    db.session.flush()
    return True


def withdraw_supplier(supplier: Supplier, district_ids, *, actor, case_number: str | None) -> Withdrawal:
    """Cancel the supplier's unpaid orders in these districts and flag its paid, not installed ones."""
    done = Withdrawal()
    for order in open_orders(supplier, district_ids):
        if order.state == S.pending_payment:
            try:  # cancel_order refuses before it changes anything
                cancel_order(order, actor=actor, reason=_(CANCEL_REASON, case_number=case_number or "—"),
                             message=CANCELED_MESSAGE)
            except DomainError:
                # a payment is in flight or the provider cannot be reached: the order is flagged instead, so
                # that once it is paid the resident is offered the refund (the sweep cancels it if it is not)
                if flag_order(order, actor=actor, case_number=case_number):
                    done.flagged.append(order.number)
            else:
                done.canceled.append(order.number)
        elif flag_order(order, actor=actor, case_number=case_number):
            done.flagged.append(order.number)
    return done
