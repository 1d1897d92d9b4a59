"""Reads of fulfilment: the supplier's queue and the inspector's work list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select

from core.clock import SHANGHAI
from core.db import db
from orders.models import Inspection, Order, OrderState


def shanghai_day_start(day: date) -> datetime:
    """The instant a Chongqing calendar day begins, in UTC (SQLite compares the stored UTC text)."""
    return datetime.combine(day, time(0, 0), tzinfo=SHANGHAI).astimezone(UTC)


def supplier_queue(supplier_id: int, *, state: OrderState | None = None, date_field: str = "created",
                   date_from: date | None = None, date_to: date | None = None):
    """The supplier's orders, newest first, filtered by state and by a Chongqing date range (a select)."""
    query = select(Order).where(Order.supplier_id == supplier_id)
    if state is not None:
        query = query.where(Order.state == state)
    column = Order.appointment_at if date_field == "appointment" else Order.created_at
    if date_from is not None:
        query = query.where(column >= shanghai_day_start(date_from))
    if date_to is not None:
        query = query.where(column < shanghai_day_start(date_to) + timedelta(days=1))
    return query.order_by(Order.created_at.desc(), Order.id.desc())


def supplier_state_counts(supplier_id: int) -> dict[str, int]:
    """state → how many of the supplier's orders are in it (counted in the database)."""
    rows = db.session.execute(select(Order.state, func.count()).where(Order.supplier_id == supplier_id)
                              .group_by(Order.state))
    return {str(state): count for state, count in rows}


def awaiting_inspection(district_ids, *, states=(OrderState.confirmed,)):
    """Orders of the districts waiting in `states`, those waiting longest first (a select)."""
    ids = list(district_ids) or [-1]
    return (select(Order).where(Order.district_id.in_(ids), Order.state.in_([s.value for s in states]))
            .order_by(Order.confirmed_at.asc(), Order.installed_at.asc(), Order.id.asc()))


def recent_inspections(inspector_id: int, limit: int = 20) -> list[Inspection]:
    """The inspector's latest checks."""
    return list(db.session.scalars(select(Inspection).where(Inspection.inspector_id == inspector_id)
                                   .order_by(Inspection.at.desc(), Inspection.id.desc()).limit(limit)))
