"""The report rollup: month-by-month figures computed in SQL from the domain tables (SPEC 3.7).

`flask --app wsgi report refresh` rebuilds these tables in one transaction from the orders, inspections, devices,
alarms and cases (reports.rollup). They are derived data owned by this package: nothing else writes them and
deleting them loses nothing. A closed month's report reads them (a few hundred rows for the whole city instead
of a million orders); the current month, and any month the rollup does not cover yet, is computed from the
domain tables directly with the same SQL (reports.compute).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from complaints.models import Case
from core.db import db
from devices.models import Alarm, InstalledDevice
from orders.models import Inspection, Order

#: The per-cell counts (district × township × household category × device type × month), in column order.
CELL_COUNTS = ("placed", "paid", "installed", "confirmed", "inspected_passed", "inspected_failed", "canceled",
               "refunded", "covered", "devices_platform", "devices_outside")
#: The per-cell money sums, integer fen.
CELL_MONEY = ("subsidy_committed_fen", "subsidy_paid_fen")
#: The per-district figures that are not per cell: cases, alarms, and the devices' states when computed.
DISTRICT_COUNTS = ("complaints_received", "complaints_accepted", "complaints_closed", "complaints_closed_on_time",
                   "complaints_overdue", "alarms_opened", "alarms_closed", "devices_active", "devices_alarm",
                   "devices_offline", "devices_fault")


def _count(type_=Integer):
    return mapped_column(type_, nullable=False, default=0, server_default="0")


class ReportCell(db.Model):
    """One month's order and device flow of one township, household category and device type."""

    __tablename__ = "report_cell"
    __table_args__ = (Index("ix_report_cell_district_month", "district_id", "month", "scope"),
                      Index("ix_report_cell_month_scope", "month", "scope"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "YYYY-MM", an Asia/Shanghai month.
    month: Mapped[str] = mapped_column(String(7))
    #: "month": the month's own flow; "total": from the beginning to the month's end (cumulative).
    scope: Mapped[str] = mapped_column(String(8))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"))
    #: 0 when the order or device names no township.
    township_id: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[str] = mapped_column(String(32))
    device_type: Mapped[str] = mapped_column(String(32))
    placed = _count()
    paid = _count()
    installed = _count()
    confirmed = _count()
    inspected_passed = _count()
    inspected_failed = _count()
    canceled = _count()
    refunded = _count()
    covered = _count()
    devices_platform = _count()
    devices_outside = _count()
    subsidy_committed_fen = _count(BigInteger)
    subsidy_paid_fen = _count(BigInteger)


class ReportDistrictMonth(db.Model):
    """One month of one district: the cell totals (so the city report reads 41 rows a month) and the cases,
    alarms and device states."""

    __tablename__ = "report_district_month"
    __table_args__ = (Index("uq_report_district_month", "month", "scope", "district_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    scope: Mapped[str] = mapped_column(String(8))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id", ondelete="CASCADE"), index=True)
    #: Households covered in the priority categories (old community, registered poor, low income).
    priority_covered = _count()
    #: The district's targets when the rollup was built: all households, priority households.
    target = _count()
    priority_target = _count()
    placed = _count()
    paid = _count()
    installed = _count()
    confirmed = _count()
    inspected_passed = _count()
    inspected_failed = _count()
    canceled = _count()
    refunded = _count()
    covered = _count()
    devices_platform = _count()
    devices_outside = _count()
    subsidy_committed_fen = _count(BigInteger)
    subsidy_paid_fen = _count(BigInteger)
    complaints_received = _count()
    complaints_accepted = _count()
    complaints_closed = _count()
    complaints_closed_on_time = _count()
    complaints_overdue = _count()
    alarms_opened = _count()
    alarms_closed = _count()
    devices_active = _count()
    devices_alarm = _count()
    devices_offline = _count()
    devices_fault = _count()


class ReportPrice(db.Model):
    """Prices paid in one month for one device type and tier, in one district (district_id 0: the city)."""

    __tablename__ = "report_price"
    __table_args__ = (Index("ix_report_price_month_district", "month", "district_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7))
    district_id: Mapped[int] = mapped_column(Integer)
    device_type: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(16))
    orders: Mapped[int] = mapped_column(Integer)
    min_fen: Mapped[int] = mapped_column(Integer)
    max_fen: Mapped[int] = mapped_column(Integer)
    median_fen: Mapped[float] = mapped_column(Float)
    mean_fen: Mapped[float] = mapped_column(Float)


class ReportRefresh(db.Model):
    """When the rollup was last rebuilt and which months it holds (one row)."""

    __tablename__ = "report_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The months held, "YYYY-MM" first and last (the last is the last closed month at refresh time).
    first_month: Mapped[str | None] = mapped_column(String(7))
    last_month: Mapped[str | None] = mapped_column(String(7))
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


#: The timestamp indexes the report's range queries use, on the tables they read (declared here, next to the
#: queries that need them; the migration creates them). Each bounds one GROUP BY to the month's rows.
REPORT_INDEXES = (
    Index("ix_purchase_order_created_at", Order.__table__.c.created_at),
    Index("ix_purchase_order_paid_at", Order.__table__.c.paid_at),
    Index("ix_purchase_order_installed_at", Order.__table__.c.installed_at),
    Index("ix_purchase_order_confirmed_at", Order.__table__.c.confirmed_at),
    Index("ix_purchase_order_inspected_at", Order.__table__.c.inspected_at),
    Index("ix_purchase_order_canceled_at", Order.__table__.c.canceled_at),
    Index("ix_purchase_order_refunded_at", Order.__table__.c.refunded_at),
    Index("ix_inspection_at", Inspection.__table__.c.at),
    Index("ix_installed_device_installed_at", InstalledDevice.__table__.c.installed_at),
    Index("ix_alarm_opened_at", Alarm.__table__.c.opened_at),
    Index("ix_alarm_closed_at", Alarm.__table__.c.closed_at),
    Index("ix_complaint_case_accepted_at", Case.__table__.c.accepted_at),
    Index("ix_complaint_case_closed_at", Case.__table__.c.closed_at),
)
