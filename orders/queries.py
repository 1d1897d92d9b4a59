"""Reads of orders."""

from __future__ import annotations

from sqlalchemy import select

from orders.models import Order, OrderState


def resident_orders(user, *, state: OrderState | None = None):
    """The resident's orders, newest first (a select, for pagination)."""
    query = select(Order).where(Order.resident_id == user.id).order_by(Order.created_at.desc(), Order.id.desc())
    if state is not None:
        query = query.where(Order.state == state)
    return query
