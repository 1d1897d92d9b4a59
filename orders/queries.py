"""Reads of orders."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import db
from orders.models import Order, OrderState


def resident_orders(user, *, state: OrderState | None = None):
    """The resident's orders, newest first (a select, for pagination)."""
    query = select(Order).where(Order.resident_id == user.id).order_by(Order.created_at.desc(), Order.id.desc())
    if state is not None:
        query = query.where(Order.state == state)
    return query


def resident_state_counts(user) -> dict[str, int]:
    """state → number of the resident's orders in it."""
    rows = db.session.execute(select(Order.state, func.count()).where(Order.resident_id == user.id)
                              .group_by(Order.state))
    return {str(state): count for state, count in rows}
