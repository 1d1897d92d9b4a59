"""Per-company complaint figures by month (the complaints package calls down to keep them; the public
supplier page reads them), as the national complaint-disclosure platform publishes per business."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from core.db import db
from suppliers.models import SupplierComplaintMonth


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months_back(day: date, count: int) -> str:
    """The first month of the `count` months ending with day's month."""
    index = day.year * 12 + day.month - 1 - (count - 1)
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def count(supplier_id: int, day: date, *, received: int = 0, resolved: int = 0) -> None:
    """Add to the company's figures of day's month (an atomic UPDATE; the row is created on first use)."""
    month = month_of(day)
    where = (SupplierComplaintMonth.supplier_id == supplier_id, SupplierComplaintMonth.month == month)
    for _attempt in range(3):
        done = db.session.execute(update(SupplierComplaintMonth).where(*where).values(
            received=SupplierComplaintMonth.received + received,
            resolved=SupplierComplaintMonth.resolved + resolved)).rowcount
        if done:
            return
        try:
            with db.session.begin_nested():
                db.session.execute(insert(SupplierComplaintMonth).values(
                    supplier_id=supplier_id, month=month, received=received, resolved=resolved))
            return
        except IntegrityError:
            continue  # created by another transaction in between: update it


@dataclass(frozen=True)
class Figures:
    """The last 12 months: received, resolved, the resolved share and the growth over the 12 months before."""

    received: int
    resolved: int
    previous_received: int

    @property
    def resolved_share(self) -> float | None:
        return self.resolved / self.received if self.received else None

    @property
    def growth(self) -> float | None:
        if not self.previous_received:
            return None
        return (self.received - self.previous_received) / self.previous_received


def figures(supplier_id: int, today: date) -> Figures:
    start, previous_start = _months_back(today, 12), _months_back(today, 24)
    end = month_of(today)
    row = db.session.execute(select(
        func.coalesce(func.sum(SupplierComplaintMonth.received).filter(SupplierComplaintMonth.month >= start), 0),
        func.coalesce(func.sum(SupplierComplaintMonth.resolved).filter(SupplierComplaintMonth.month >= start), 0),
        func.coalesce(func.sum(SupplierComplaintMonth.received).filter(SupplierComplaintMonth.month < start), 0),
    ).where(SupplierComplaintMonth.supplier_id == supplier_id, SupplierComplaintMonth.month >= previous_start,
            SupplierComplaintMonth.month <= end)).one()
    return Figures(received=int(row[0]), resolved=int(row[1]), previous_received=int(row[2]))
