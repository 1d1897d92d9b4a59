"""Rebuild the report rollup (reports.models) from the domain tables: `flask --app wsgi report refresh`.

One transaction deletes the rollup and writes it again for every closed month from the first order, device, case
or alarm to last month: each month's own figures (scope "month") and the running totals to its end (scope
"total"), per cell and per district, and the month's prices. Run nightly (README "Scheduled jobs"); running it
twice, or from two machines, leaves the same rows (the second run waits for the first's lock on PostgreSQL).
The current month is never stored: its report is computed live (reports.monthly).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, text

from core.clock import now_utc
from core.db import db
from reports import compute
from reports.models import (
    CELL_COUNTS,
    CELL_MONEY,
    DISTRICT_COUNTS,
    ReportCell,
    ReportDistrictMonth,
    ReportPrice,
    ReportRefresh,
)
from reports.months import Month, months_between

CELL_FIGURES = CELL_COUNTS + CELL_MONEY
#: District figures that describe a moment (the month's end, or the time of the refresh), not a flow: the total
#: scope carries the same value as the month, never a sum.
POINT_FIGURES = ("complaints_overdue", "devices_active", "devices_alarm", "devices_offline", "devices_fault",
                 "target", "priority_target")
DISTRICT_FIGURES = CELL_FIGURES + ("priority_covered",) + DISTRICT_COUNTS + ("target", "priority_target")


@dataclass(frozen=True)
class RefreshResult:
    first_month: Month | None
    last_month: Month | None
    cells: int
    seconds: float


def district_totals(cell_figures: dict[compute.CellKey, dict[str, int]]) -> dict[int, dict[str, int]]:
    """Sum cells to districts, with the priority households' coverage."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DISTRICT_FIGURES, 0))
    for (district, _township, category, _type), figures in cell_figures.items():
        row = out[district]
        for name, value in figures.items():
            row[name] += value
        if category in compute.PRIORITY:
            row["priority_covered"] += figures.get("covered", 0)
    return out


def add_district_figures(rows: dict[int, dict[str, int]], extra: dict[int, dict[str, int]]) -> None:
    for district, figures in extra.items():
        row = rows.setdefault(district, dict.fromkeys(DISTRICT_FIGURES, 0))
        row.update(figures)


def _lock() -> None:
    """One rebuild at a time across machines (PostgreSQL); SQLite serialises writers already."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('report_refresh'))"))


def refresh(now: datetime | None = None) -> RefreshResult:
    """Rebuild the rollup for every closed month (the caller commits)."""
    began = time.perf_counter()
    now = now or now_utc()
    _lock()
    cell_rows: list[dict] = []
    district_rows: list[dict] = []
    price_rows: list[dict] = []
    first_at = compute.first_activity()
    last = Month.of(now).previous()
    months = months_between(Month.of(first_at), last) if first_at is not None else []
    states = compute.device_states()
    targets = compute.target_totals()
    running_cells: dict[compute.CellKey, dict[str, int]] = defaultdict(lambda: dict.fromkeys(CELL_FIGURES, 0))
    running_district: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DISTRICT_FIGURES, 0))
    for month in months:
        flow = compute.cells(month.start, month.end)
        for key, figures in flow.items():
            total = running_cells[key]
            for name, value in figures.items():
                total[name] += value
        cell_rows += _cell_rows(month, "month", flow) + _cell_rows(month, "total", running_cells)

        per_district = district_totals(flow)
        add_district_figures(per_district, compute.cases(month.start, month.end))
        add_district_figures(per_district, compute.alarms(month.start, month.end))
        for district, row in per_district.items():
            total = running_district[district]
            for name in DISTRICT_FIGURES:
                if name not in POINT_FIGURES:
                    total[name] += row[name]
        for district in set(running_district) | set(states) | set(targets):
            moment = dict.fromkeys(POINT_FIGURES, 0)
            moment.update(states.get(district, {}))
            moment["target"], moment["priority_target"] = targets.get(district, (0, 0))
            moment["complaints_overdue"] = per_district.get(district, {}).get("complaints_overdue", 0)
            per_district.setdefault(district, dict.fromkeys(DISTRICT_FIGURES, 0)).update(moment)
            running_district[district].update(moment)
        district_rows += _district_rows(month, "month", per_district) + _district_rows(month, "total",
                                                                                       running_district)
        price_rows += [dict(row, month=str(month)) for row in
                       compute.prices(month.start, month.end) + compute.prices(month.start, month.end, city=True)]
    # Everything was read first: the writing below is short, so that on SQLite (one writer at a time) orders
    # are not kept waiting while a million rows are aggregated.
    for model in (ReportCell, ReportDistrictMonth, ReportPrice, ReportRefresh):
        db.session.execute(delete(model))
    for model, rows in ((ReportCell, cell_rows), (ReportDistrictMonth, district_rows), (ReportPrice, price_rows)):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[start:start + 5000])
    seconds = time.perf_counter() - began
    db.session.add(ReportRefresh(refreshed_at=now, first_month=str(months[0]) if months else None,
                                 last_month=str(months[-1]) if months else None, seconds=seconds))
    db.session.flush()
    return RefreshResult(months[0] if months else None, months[-1] if months else None, len(cell_rows), seconds)


def _cell_rows(month: Month, scope: str, figures: dict[compute.CellKey, dict[str, int]]) -> list[dict]:
    return [dict(dict.fromkeys(CELL_FIGURES, 0), **values, month=str(month), scope=scope, district_id=district,
                 township_id=township, category=category, device_type=device_type)
            for (district, township, category, device_type), values in figures.items()]


def _district_rows(month: Month, scope: str, figures: dict[int, dict[str, int]]) -> list[dict]:
    return [dict(values, month=str(month), scope=scope, district_id=district) for district, values in figures.items()]


@dataclass(frozen=True)
class Refreshed:
    refreshed_at: datetime
    last_month: str | None


def last_refresh() -> Refreshed | None:
    """When the rollup was built and its last month (None before the first refresh)."""
    table = ReportRefresh.__table__
    row = db.session.execute(select(table.c.refreshed_at, table.c.last_month).order_by(table.c.id.desc())
                             .limit(1)).first()
    return Refreshed(row[0], row[1]) if row is not None else None


def holds(refresh_row: Refreshed | None, month: Month) -> bool:
    """The rollup has `month` (every closed month from the first activity to its last month)."""
    if refresh_row is None or refresh_row.last_month is None:
        return False
    return month <= Month.parse(refresh_row.last_month)
