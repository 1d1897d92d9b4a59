"""The monthly report of a district and of the city (附件1 四(三) 月统计通报), and the district ranking (六(四)).

A closed month that the rollup holds is read from it (reports.rollup); any other month — the current one, or a
closed one before the nightly refresh has run — is computed live from the domain tables with the same SQL
(reports.compute), its running totals taken from the rollup's last month when it has it. `Report.source` and
`Report.as_of` say which, and the pages print it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from catalog.models import DeviceType, Tier
from core.clock import now_utc
from core.db import as_utc, db
from core.districts import District
from registry.districts.models import HouseholdCategory, Township
from reports import compute, rollup
from reports.models import ReportCell, ReportDistrictMonth, ReportPrice
from reports.months import Month

CATEGORY_ORDER = (HouseholdCategory.old_community.value, HouseholdCategory.registered_poor.value,
                  HouseholdCategory.low_income.value, HouseholdCategory.other.value)
DEVICE_TYPES = tuple(t.value for t in DeviceType)
TIERS = tuple(t.value for t in Tier)


def ratio(part: int, whole: int) -> float | None:
    """part ÷ whole to four decimals, None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


@dataclass
class Line:
    """One row of a table: a district, township, household category or device type, for the month and to its
    end (cumulative)."""

    key: str
    label: str
    month: dict[str, int]
    total: dict[str, int]
    target: int = 0
    priority: bool = False

    def m(self, name: str) -> int:
        return int(self.month.get(name, 0))

    def t(self, name: str) -> int:
        return int(self.total.get(name, 0))

    @property
    def coverage(self) -> float | None:
        return ratio(self.t("covered"), self.target)


@dataclass
class CoverageRow:
    category: str
    township: str
    target: int
    covered: int

    @property
    def priority(self) -> bool:
        return self.category in compute.PRIORITY

    @property
    def coverage(self) -> float | None:
        return ratio(self.covered, self.target)


@dataclass
class PriceRow:
    device_type: str
    tier: str
    orders: int
    min_fen: int
    max_fen: int
    median_fen: float
    mean_fen: float


@dataclass
class DistrictLine(Line):
    """A district in the city report, with the figures the ranking uses."""

    code: str = ""
    name_en: str = ""
    priority_target: int = 0

    @property
    def priority_coverage(self) -> float | None:
        return ratio(self.t("priority_covered"), self.priority_target)

    @property
    def handled(self) -> int:
        """Cases that were due an answer this month: closed in it, or overdue at its end."""
        return self.m("complaints_closed") + self.m("complaints_overdue")

    @property
    def on_time_rate(self) -> float | None:
        return ratio(self.m("complaints_closed_on_time"), self.handled)


@dataclass
class Report:
    month: Month
    #: "rollup" (read from the nightly tables) or "live" (computed now from the domain tables).
    source: str
    as_of: datetime
    summary: Line
    prices: list[PriceRow]

    @property
    def partial(self) -> bool:
        """The month is not over yet: its figures are to date."""
        return not self.month.is_closed(self.as_of)


@dataclass
class DistrictReport(Report):
    district: District = None  # type: ignore[assignment]
    townships: list[Line] = field(default_factory=list)
    categories: list[Line] = field(default_factory=list)
    device_types: list[Line] = field(default_factory=list)
    coverage: list[CoverageRow] = field(default_factory=list)


@dataclass
class CityReport(Report):
    districts: list[DistrictLine] = field(default_factory=list)


class MonthNotAvailable(ValueError):
    """A month after the current one."""


def _check(month: Month) -> None:
    if month > Month.current():
        raise MonthNotAvailable(str(month))


def _add(into: dict[str, int], figures: dict[str, int]) -> None:
    for name, value in figures.items():
        into[name] = into.get(name, 0) + int(value or 0)


# --- reading the cells --------------------------------------------------------------------------------------

def _rollup_cells(month: Month, scope: str, district_id: int) -> dict[compute.CellKey, dict[str, int]]:
    rows = db.session.execute(select(ReportCell).where(ReportCell.district_id == district_id,
                                                       ReportCell.month == str(month), ReportCell.scope == scope))
    return {(r.district_id, r.township_id, r.category, r.device_type): {n: getattr(r, n) for n in rollup.CELL_FIGURES}
            for (r,) in rows}


def _district_cells(month: Month, district_id: int, refreshed) -> tuple[dict, dict, str]:
    """The month's cells and the running totals to its end, and where they came from."""
    if rollup.holds(refreshed, month):
        return (_rollup_cells(month, "month", district_id), _rollup_cells(month, "total", district_id), "rollup")
    until = min(month.end, now_utc())
    flow = compute.cells(month.start, until, district_id)
    if rollup.holds(refreshed, month.previous()):
        totals = _rollup_cells(month.previous(), "total", district_id)
        for key, figures in flow.items():
            _add(totals.setdefault(key, {}), figures)
    else:
        totals = compute.cells(None, until, district_id)
    return flow, totals, "live"


_FIGURE_COLUMNS = None


def _figure_columns():
    """The rollup's district figure columns, in rollup.DISTRICT_FIGURES order (built once)."""
    global _FIGURE_COLUMNS  # noqa: PLW0603 - a cache of immutable column objects
    if _FIGURE_COLUMNS is None:
        _FIGURE_COLUMNS = tuple(ReportDistrictMonth.__table__.c[name] for name in rollup.DISTRICT_FIGURES)
    return _FIGURE_COLUMNS


def _rollup_district_figures(month: Month, district_ids: list[int] | None) -> dict[str, dict[int, dict]]:
    """Both scopes of the month from the rollup, in one query of plain rows: {"month": {id: figures}, "total": ...}."""
    table = ReportDistrictMonth.__table__
    query = select(table.c.scope, table.c.district_id, *_figure_columns()).where(table.c.month == str(month))
    if district_ids is not None:
        query = query.where(table.c.district_id.in_(district_ids))
    out: dict[str, dict[int, dict]] = {"month": {}, "total": {}}
    names = rollup.DISTRICT_FIGURES
    for row in db.session.execute(query):
        out[row[0]][row[1]] = dict(zip(names, row[2:], strict=True))
    return out


def _both_scopes(month: Month, district_ids: list[int] | None, refreshed) -> tuple[dict, dict]:
    """Per district: the month's figures and the running totals (rollup or live)."""
    if rollup.holds(refreshed, month):
        both = _rollup_district_figures(month, district_ids)
        return both["month"], both["total"]
    flow = _live_district_figures(month, "month", district_ids, refreshed)
    return flow, _live_district_figures(month, "total", district_ids, refreshed, flow=flow)


def _live_district_figures(month: Month, scope: str, district_ids, refreshed,
                           flow: dict[int, dict] | None = None) -> dict[int, dict]:
    """`flow`: the month's own figures when the caller has them already (the total adds them to last month's)."""
    until = min(month.end, now_utc())
    one = district_ids[0] if district_ids is not None and len(district_ids) == 1 else None
    start = month.start if scope == "month" else None
    if scope == "total" and rollup.holds(refreshed, month.previous()):
        out = _rollup_district_figures(month.previous(), district_ids)["total"]
        if flow is None:
            flow = _live_district_figures(month, "month", district_ids, refreshed)
        for district, figures in flow.items():
            row = out.setdefault(district, dict.fromkeys(rollup.DISTRICT_FIGURES, 0))
            for name in rollup.DISTRICT_FIGURES:
                row[name] = figures[name] if name in rollup.POINT_FIGURES else row.get(name, 0) + figures[name]
        return out
    out = rollup.district_totals(compute.cells(start, until, one))
    rollup.add_district_figures(out, compute.cases(start, until, one))
    rollup.add_district_figures(out, compute.alarms(start, until, one))
    if scope == "total":  # the overdue figure is a moment's, the same in both scopes
        for district, figures in compute.cases(month.start, until, one).items():
            out.setdefault(district, dict.fromkeys(rollup.DISTRICT_FIGURES, 0))["complaints_overdue"] = \
                figures["complaints_overdue"]
    rollup.add_district_figures(out, compute.device_states(one))
    for district, (target, priority) in compute.target_totals().items():
        out.setdefault(district, dict.fromkeys(rollup.DISTRICT_FIGURES, 0)).update(
            target=target, priority_target=priority)
    if district_ids is not None:
        out = {d: figures for d, figures in out.items() if d in district_ids}
    return out


def _prices(month: Month, district_id: int, refreshed) -> list[PriceRow]:
    if rollup.holds(refreshed, month):
        table = ReportPrice.__table__
        names = ("device_type", "tier", "orders", "min_fen", "max_fen", "median_fen", "mean_fen")
        rows = [dict(zip(names, row, strict=True)) for row in db.session.execute(
            select(*(table.c[n] for n in names)).where(table.c.month == str(month),
                                                       table.c.district_id == district_id))]
    else:
        until = min(month.end, now_utc())
        rows = (compute.prices(month.start, until, city=True) if district_id == 0
                else compute.prices(month.start, until, district_id))
    order = {(t, r): i for i, (t, r) in enumerate((t, r) for t in DEVICE_TYPES for r in TIERS)}
    prices = [PriceRow(**{k: row[k] for k in ("device_type", "tier", "orders", "min_fen", "max_fen", "median_fen",
                                             "mean_fen")}) for row in rows]
    return sorted(prices, key=lambda p: order.get((p.device_type, p.tier), 99))


# --- the district report ------------------------------------------------------------------------------------

def _lines(keys, labels, month_cells, total_cells, index: int, targets: dict) -> list[Line]:
    month_by: dict[str, dict] = defaultdict(dict)
    total_by: dict[str, dict] = defaultdict(dict)
    for key, figures in month_cells.items():
        _add(month_by[str(key[index])], figures)
    for key, figures in total_cells.items():
        _add(total_by[str(key[index])], figures)
    target_by: dict[str, int] = defaultdict(int)
    for key, count in targets.items():
        target_by[str(key[index])] += count
    zero = dict.fromkeys(rollup.CELL_FIGURES, 0)
    return [Line(key=str(k), label=labels(k), month={**zero, **month_by.get(str(k), {})},
                 total={**zero, **total_by.get(str(k), {})},
                 target=target_by.get(str(k), 0), priority=str(k) in compute.PRIORITY) for k in keys]


def district_report(district: District, month: Month) -> DistrictReport:
    """The month's report of one district (lines keyed by township id, category and device type codes; a
    township key "0" gathers orders and devices that name none)."""
    _check(month)
    refreshed = rollup.last_refresh()
    flow, totals, source = _district_cells(month, district.id, refreshed)
    zero = dict.fromkeys(rollup.DISTRICT_FIGURES, 0)
    month_figures, total_figures = _both_scopes(month, [district.id], refreshed)
    figures_month = {**zero, **month_figures.get(district.id, {})}
    figures_total = {**zero, **total_figures.get(district.id, {})}
    targets = compute.targets(district.id)
    townships = list(db.session.execute(select(Township.id, Township.name).where(Township.district_id == district.id)
                                        .order_by(Township.name, Township.id)))
    names = {tid: name for tid, name in townships}
    seen = {key[1] for key in (*flow, *totals, *targets)}
    township_keys = [tid for tid, _ in townships] + ([0] if 0 in seen else [])
    unnamed = ""
    summary = Line(key=district.code, label=district.name, month=figures_month, total=figures_total,
                   target=int(figures_total.get("target", 0)))
    by_township = _lines(township_keys, lambda k: names.get(k, unnamed), flow, totals, 1, targets)
    by_category = _lines(CATEGORY_ORDER, str, flow, totals, 2, targets)
    by_type = _lines(DEVICE_TYPES, str, flow, totals, 3, targets)

    covered: dict[tuple[str, int], int] = defaultdict(int)
    wanted: dict[tuple[str, int], int] = defaultdict(int)
    for key, figures in totals.items():
        covered[(key[2], key[1])] += int(figures.get("covered", 0))
    for key, count in targets.items():
        wanted[(key[2], key[1])] += count
    coverage = [CoverageRow(category=category, township=names.get(township, unnamed), target=wanted.get(
                    (category, township), 0), covered=covered.get((category, township), 0))
                for category in CATEGORY_ORDER for township in township_keys
                if wanted.get((category, township)) or covered.get((category, township))]
    as_of = as_utc(refreshed.refreshed_at) if source == "rollup" else now_utc()
    return DistrictReport(month=month, source=source, as_of=as_of, summary=summary,
                          prices=_prices(month, district.id, refreshed), district=district, townships=by_township,
                          categories=by_category, device_types=by_type, coverage=coverage)


# --- the city report and the ranking ------------------------------------------------------------------------

def _districts() -> list[tuple[int, str, str, str]]:
    return list(db.session.execute(select(District.id, District.code, District.name, District.name_en)
                                   .order_by(District.code)))


def city_report(month: Month) -> CityReport:
    """The month's report of the whole city: one line per district and the city's total."""
    _check(month)
    refreshed = rollup.last_refresh()
    source = "rollup" if rollup.holds(refreshed, month) else "live"
    month_figures, total_figures = _both_scopes(month, None, refreshed)
    lines = []
    names = rollup.DISTRICT_FIGURES
    zero = dict.fromkeys(names, 0)
    for district_id, code, name, name_en in _districts():
        m, t = {**zero, **month_figures.get(district_id, {})}, {**zero, **total_figures.get(district_id, {})}
        lines.append(DistrictLine(key=code, label=name, month=m, total=t, target=int(t["target"]), code=code,
                                  name_en=name_en, priority_target=int(t["priority_target"])))
    city_month = {n: sum(line.month[n] for line in lines) for n in names}
    city_total = {n: sum(line.total[n] for line in lines) for n in names}
    as_of = as_utc(refreshed.refreshed_at) if source == "rollup" else now_utc()
    summary = Line(key="city", label="", month=city_month, total=city_total, target=int(city_total.get("target", 0)))
    return CityReport(month=month, source=source, as_of=as_of, summary=summary, prices=_prices(month, 0, refreshed),
                      districts=lines)


def competition_ranks(values: dict[str, float | None]) -> dict[str, int | None]:
    """1, 1, 3 ...: equal values share a rank; districts without a figure get none."""
    ordered = sorted((v, k) for k, v in values.items() if v is not None)
    ordered.sort(key=lambda item: -item[0])
    ranks: dict[str, int | None] = dict.fromkeys(values)
    previous, rank = None, 0
    for position, (value, key) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[key] = rank
    return ranks


@dataclass
class RankedDistrict:
    line: DistrictLine
    coverage_rank: int | None
    coverage_change: int | None
    on_time_rank: int | None
    on_time_change: int | None


@dataclass
class Ranking:
    month: Month
    source: str
    as_of: datetime
    rows: list[RankedDistrict]


def _change(now: int | None, before: int | None) -> int | None:
    """Places gained since last month (positive: up), None when either month had no rank."""
    return None if now is None or before is None else before - now


def ranking(month: Month, report: CityReport | None = None) -> Ranking:
    """Districts by priority-household coverage and by complaints handled on time, with last month's change."""
    report = report or city_report(month)
    before = city_report(month.previous())
    now_cov = competition_ranks({line.code: line.priority_coverage for line in report.districts})
    now_time = competition_ranks({line.code: line.on_time_rate for line in report.districts})
    old_cov = competition_ranks({line.code: line.priority_coverage for line in before.districts})
    old_time = competition_ranks({line.code: line.on_time_rate for line in before.districts})
    rows = [RankedDistrict(line, now_cov[line.code], _change(now_cov[line.code], old_cov.get(line.code)),
                           now_time[line.code], _change(now_time[line.code], old_time.get(line.code)))
            for line in report.districts]
    rows.sort(key=lambda r: (r.coverage_rank is None, r.coverage_rank or 0, r.line.code))
    return Ranking(month=month, source=report.source, as_of=report.as_of, rows=rows)


def coverage_document(month: Month, report: CityReport | None = None) -> dict:
    """The public coverage figures, `GET /api/v1/coverage` (SPEC 3.7): no personal data, counts only."""
    report = report or city_report(month)
    ranks = competition_ranks({line.code: line.priority_coverage for line in report.districts})
    districts = [{"code": line.code, "name": line.label, "target": line.target, "installed": line.t("covered"),
                  "coverage": line.coverage, "priority_target": line.priority_target,
                  "priority_installed": line.t("priority_covered"), "priority_coverage": line.priority_coverage,
                  "rank": ranks[line.code]} for line in report.districts]
    districts.sort(key=lambda d: (d["rank"] is None, d["rank"] or 0, -(d["coverage"] or 0), d["code"]))
    return {"month": str(month), "districts": districts}
