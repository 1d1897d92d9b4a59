"""State changes of orders (they flush, never commit; the route or command commits once).

Every state change goes through `transition`: it checks the ALLOWED table, stamps the new state's time,
appends the timeline entry, writes the audit log and tells every party in their inbox.
"""

from __future__ import annotations

from core import audit
from core.accounts.queries import inspectors_of, officials_of
from core.clock import now_utc
from core.db import db
from core.errors import InvalidTransition
from core.i18n import N_, _, msgid_of
from core.notifications import notify
from orders.models import ORDER_STATE_TITLES, Order, OrderEvent, OrderState
from suppliers.queries import staff_of

S = OrderState
#: The time column each state stamps when entered.
STATE_TIME = {S.paid: "paid_at", S.installed: "installed_at", S.confirmed: "confirmed_at",
              S.inspected: "inspected_at", S.canceled: "canceled_at", S.refunded: "refunded_at"}
#: Who hears of a change into each state, besides the resident and the supplier's staff (always told).
ALSO_TOLD = {S.confirmed: ("inspectors",), S.inspected: ("officials",), S.installed: ("inspectors",)}


def parties(order: Order, *extra: str) -> list:
    """The users told of a change: the resident, the supplier's staff and, as named, officials/inspectors."""
    users = [order.resident, *staff_of(order.supplier_id)]
    if "officials" in extra:
        users += officials_of([order.district_id])
    if "inspectors" in extra:
        users += inspectors_of([order.district_id])
    return users


def record_event(order: Order, message: str, *, actor=None, params: dict | None = None, note: str | None = None,
                 from_state: OrderState | None = None, to_state: OrderState | None = None) -> OrderEvent:
    """Append a timeline entry (message is an N_ message id rendered in the reader's language)."""
    event = OrderEvent(order=order, at=now_utc(), actor_id=getattr(actor, "id", None), message=message,
                       params=params or {}, note=note,
                       from_state=from_state.value if from_state else None,
                       to_state=to_state.value if to_state else None)
    db.session.add(event)
    return event


def transition(order: Order, to: OrderState, *, actor, message: str, params: dict | None = None,
               note: str | None = None, reason: str | None = None, notify_message: str | None = None,
               told: tuple[str, ...] = ()) -> None:
    """Move `order` to `to` if the ALLOWED table permits it; raise InvalidTransition otherwise."""
    before = order.state
    if not order.can_go(to):
        raise InvalidTransition(_("订单当前状态为“%(state)s”，不能变为“%(to)s”。",
                                  state=ORDER_STATE_TITLES[before], to=ORDER_STATE_TITLES[to]))
    now = now_utc()
    order.state = to
    column = STATE_TIME.get(to)
    if column is not None:
        setattr(order, column, now)
    if to == S.refunded and order.canceled_at is None:  # refunded straight from paid/scheduled: canceled too
        order.canceled_at = now
    if to == S.scheduled:  # a reopened installation: the inspection and confirmation start again
        order.installed_at = order.confirmed_at = None
    record_event(order, message, actor=actor, params=params, note=note, from_state=before, to_state=to)
    audit.record(actor, f"order.{to.value}", order, {"state": (before.value, to.value)}, reason=reason or note)
    notify(parties(order, *told, *ALSO_TOLD.get(to, ())), notify_message or N_("订单 %(number)s：%(state)s"),
           params={"number": order.number, "state": msgid_of(ORDER_STATE_TITLES[to])},
           link=f"/orders/{order.id}")
    db.session.flush()

