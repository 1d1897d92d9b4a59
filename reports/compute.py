"""The report's figures computed in SQL from the domain tables, for any time range (SPEC 3.7).

Every function here is a handful of GROUP BY queries bounded by an indexed timestamp range; none loads a row into
Python. They serve two callers: the rollup (reports.rollup), which runs them month by month and stores the result,
and the live report of the current month (reports.monthly). `start` None means "from the beginning".

What is counted (README "Reports" says the same to the reader):
- placed / paid / installed / confirmed / canceled / refunded: orders whose time of that step falls in the range;
- inspected passed / failed: the utility's inspections in the range (a failed one sends the order back);
- covered: households covered — orders installed in the range that are still installed (installed, confirmed or
  inspected), plus devices an inspector registered outside the platform that are still in place;
- subsidy committed: the subsidy of orders paid in the range and not canceled since; subsidy paid: the subsidy of
  orders whose installation passed inspection in the range (the district owes it to the installer then);
- complaints: cases about the district received, accepted and closed (concluded or rejected) in the range; closed
  on time: closed no later than their due day; overdue: open at the end of the range after their due day;
- prices: the device price (without the installation fee) of the orders placed in the range.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import and_, case, func, literal_column, or_, select

from catalog.models import Tier
from complaints.models import Case, CaseState
from core.clock import to_shanghai
from core.db import db
from devices.models import IN_PLACE, Alarm, DeviceState, InstalledDevice
from orders.models import INSTALLED_STATES, Inspection, InspectionResult, Order, OrderLine, OrderState
from registry.districts.models import HouseholdCategory, Target

#: The priority households of 附件1 四(五): their coverage ranks the districts.
PRIORITY = (HouseholdCategory.old_community.value, HouseholdCategory.registered_poor.value,
            HouseholdCategory.low_income.value)
CATEGORIES = tuple(c.value for c in HouseholdCategory)
TIERS = tuple(t.value for t in Tier)

#: Rendered inline, so that PostgreSQL sees the same expression in SELECT and GROUP BY (a bound 0 would be two
#: different parameters).
ZERO = literal_column("0")
CellKey = tuple[int, int, str, str]  # district id, township id (0: none), household category, device type


def _in_range(column, start: datetime | None, end: datetime):
    return column < end if start is None else and_(column >= start, column < end)


def _where_district(query, column, district_id: int | None):
    return query if district_id is None else query.where(column == district_id)


def _order_cells(column, start, end, district_id, *extra):
    """count(*) and `extra` aggregates of orders whose `column` falls in the range, by cell."""
    query = (select(Order.district_id, func.coalesce(Order.township_id, ZERO), Order.household_category,
                    OrderLine.device_type, func.count(), *extra)
             .join(OrderLine, OrderLine.order_id == Order.id)
             .where(_in_range(column, start, end))
             .group_by(Order.district_id, func.coalesce(Order.township_id, ZERO), Order.household_category,
                       OrderLine.device_type))
    return db.session.execute(_where_district(query, Order.district_id, district_id)).all()


def _key(row) -> CellKey:
    return int(row[0]), int(row[1]), str(row[2]), str(row[3])


def cells(start: datetime | None, end: datetime, district_id: int | None = None) -> dict[CellKey, dict[str, int]]:
    """The order and device flow of the range, per district, township, household category and device type."""
    out: dict[CellKey, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    still_installed = Order.state.in_([s.value for s in INSTALLED_STATES])
    live = Order.state.notin_([OrderState.canceled.value, OrderState.refunded.value])
    for row in _order_cells(Order.created_at, start, end, district_id):
        out[_key(row)]["placed"] += row[4]
    for row in _order_cells(Order.paid_at, start, end, district_id,
                            func.sum(case((live, Order.subsidy_fen), else_=0))):
        out[_key(row)]["paid"] += row[4]
        out[_key(row)]["subsidy_committed_fen"] += int(row[5] or 0)
    for row in _order_cells(Order.installed_at, start, end, district_id,
                            func.sum(case((still_installed, 1), else_=0))):
        out[_key(row)]["installed"] += row[4]
        out[_key(row)]["covered"] += int(row[5] or 0)
    for row in _order_cells(Order.confirmed_at, start, end, district_id):
        out[_key(row)]["confirmed"] += row[4]
    for row in _order_cells(Order.inspected_at, start, end, district_id, func.sum(Order.subsidy_fen)):
        out[_key(row)]["subsidy_paid_fen"] += int(row[5] or 0)
    for row in _order_cells(Order.canceled_at, start, end, district_id):
        out[_key(row)]["canceled"] += row[4]
    for row in _order_cells(Order.refunded_at, start, end, district_id):
        out[_key(row)]["refunded"] += row[4]

    inspections = (select(Order.district_id, func.coalesce(Order.township_id, ZERO), Order.household_category,
                          OrderLine.device_type,
                          func.sum(case((Inspection.result == InspectionResult.passed.value, 1), else_=0)),
                          func.sum(case((Inspection.result == InspectionResult.failed.value, 1), else_=0)))
                   .join(Order, Order.id == Inspection.order_id).join(OrderLine, OrderLine.order_id == Order.id)
                   .where(_in_range(Inspection.at, start, end))
                   .group_by(Order.district_id, func.coalesce(Order.township_id, ZERO), Order.household_category,
                             OrderLine.device_type))
    for row in db.session.execute(_where_district(inspections, Order.district_id, district_id)):
        out[_key(row)]["inspected_passed"] += int(row[4] or 0)
        out[_key(row)]["inspected_failed"] += int(row[5] or 0)

    outside = InstalledDevice.order_id.is_(None)
    # The state is tested in the sums, not in WHERE: given `state IN (...)` the planner (SQLite without ANALYZE)
    # reads every device in place through ix_installed_device_state_seen instead of the range's through
    # ix_installed_device_installed_at — 1.5 s instead of 10-80 ms at a million devices.
    in_place = InstalledDevice.state.in_([s.value for s in IN_PLACE])
    devices = (select(InstalledDevice.district_id, func.coalesce(InstalledDevice.township_id, ZERO),
                      InstalledDevice.household_category, InstalledDevice.device_type,
                      func.sum(case((and_(in_place, ~outside), 1), else_=0)),
                      func.sum(case((and_(in_place, outside), 1), else_=0)))
               .where(_in_range(InstalledDevice.installed_at, start, end))
               .group_by(InstalledDevice.district_id, func.coalesce(InstalledDevice.township_id, ZERO),
                         InstalledDevice.household_category, InstalledDevice.device_type)
               .having(func.sum(case((in_place, 1), else_=0)) > 0))
    for row in db.session.execute(_where_district(devices, InstalledDevice.district_id, district_id)):
        figures = out[_key(row)]
        figures["devices_platform"] += int(row[4] or 0)
        figures["devices_outside"] += int(row[5] or 0)
        figures["covered"] += int(row[5] or 0)  # a household that bought outside the platform is covered too
    return {key: dict(figures) for key, figures in out.items()}


def _shanghai_date(column):
    """The Chongqing calendar day of a stored instant, in SQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")


def cases(start: datetime | None, end: datetime, district_id: int | None = None) -> dict[int, dict[str, int]]:
    """Complaints and reports about each district: received, accepted, closed (on time) in the range; overdue at
    its end."""
    end_day = to_shanghai(end).date()  # a case due on the range's last day is not yet overdue at its end
    closed_in = _in_range(Case.closed_at, start, end)
    on_time = and_(closed_in, or_(Case.due_on.is_(None), _shanghai_date(Case.closed_at) <= Case.due_on))
    open_at_end = and_(Case.received_at < end, or_(Case.closed_at.is_(None), Case.closed_at >= end),
                       Case.state != CaseState.merged.value, Case.due_on.is_not(None))
    overdue = and_(open_at_end, Case.due_on < end_day)
    query = (select(Case.district_id,
                    func.sum(case((_in_range(Case.received_at, start, end), 1), else_=0)),
                    func.sum(case((_in_range(Case.accepted_at, start, end), 1), else_=0)),
                    func.sum(case((closed_in, 1), else_=0)),
                    func.sum(case((on_time, 1), else_=0)),
                    func.sum(case((overdue, 1), else_=0)))
             .where(Case.district_id.is_not(None), Case.received_at < end)
             .group_by(Case.district_id))
    names = ("complaints_received", "complaints_accepted", "complaints_closed", "complaints_closed_on_time",
             "complaints_overdue")
    return {int(row[0]): {name: int(value or 0) for name, value in zip(names, row[1:], strict=True)}
            for row in db.session.execute(_where_district(query, Case.district_id, district_id))}


def alarms(start: datetime | None, end: datetime, district_id: int | None = None) -> dict[int, dict[str, int]]:
    """Alarms opened and closed in the range, per district."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: {"alarms_opened": 0, "alarms_closed": 0})
    for column, name in ((Alarm.opened_at, "alarms_opened"), (Alarm.closed_at, "alarms_closed")):
        query = (select(Alarm.district_id, func.count()).where(_in_range(column, start, end))
                 .group_by(Alarm.district_id))
        for district, count in db.session.execute(_where_district(query, Alarm.district_id, district_id)):
            out[int(district)][name] = int(count)
    return dict(out)


DEVICE_STATE_FIGURES = {DeviceState.active.value: "devices_active", DeviceState.alarm.value: "devices_alarm",
                        DeviceState.offline.value: "devices_offline", DeviceState.fault.value: "devices_fault"}


def device_states(district_id: int | None = None) -> dict[int, dict[str, int]]:
    """The devices in place now, per district and state (the state is not kept historically)."""
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(DEVICE_STATE_FIGURES.values(), 0))
    # Every state, filtered here: without a WHERE on the state the GROUP BY reads only the covering index
    # ix_installed_device_district_state (60 ms at a million devices on SQLite, instead of 1.9 s through
    # ix_installed_device_state_seen and a row look-up per device).
    query = (select(InstalledDevice.district_id, InstalledDevice.state, func.count())
             .group_by(InstalledDevice.district_id, InstalledDevice.state))
    for district, state, count in db.session.execute(_where_district(query, InstalledDevice.district_id,
                                                                     district_id)):
        name = DEVICE_STATE_FIGURES.get(str(state))
        if name is not None:
            out[int(district)][name] = int(count)
    return dict(out)


def prices(start: datetime | None, end: datetime, district_id: int | None = None,
           *, city: bool = False) -> list[dict]:
    """Orders, minimum, maximum, median and mean device price (fen) of the orders placed in the range, per
    device type and tier — per district, or for the whole city (district_id 0) when `city`."""
    scope = [] if city else [Order.district_id]
    partition = [*scope, OrderLine.device_type, OrderLine.tier]
    ranked = (select(*(c.label(n) for c, n in zip(partition, (["district_id"] if not city else [])
                                                    + ["device_type", "tier"], strict=True)),
                     OrderLine.unit_price_fen.label("price"),
                     func.row_number().over(partition_by=partition, order_by=OrderLine.unit_price_fen).label("rn"),
                     func.count().over(partition_by=partition).label("n"))
              .join(Order, Order.id == OrderLine.order_id)
              .where(_in_range(Order.created_at, start, end)))
    ranked = _where_district(ranked, Order.district_id, district_id).subquery()
    keys = ([] if city else [ranked.c.district_id]) + [ranked.c.device_type, ranked.c.tier]
    middle = or_(ranked.c.rn == (ranked.c.n + 1) // 2, ranked.c.rn == (ranked.c.n + 2) // 2)
    query = (select(*keys, func.max(ranked.c.n), func.min(ranked.c.price), func.max(ranked.c.price),
                    func.avg(case((middle, ranked.c.price))), func.avg(ranked.c.price))
             .group_by(*keys))
    rows = []
    for row in db.session.execute(query):
        values = list(row)
        district = 0 if city else int(values.pop(0))
        device_type, tier, n, low, high, median, mean = values
        rows.append({"district_id": district, "device_type": str(device_type), "tier": str(tier), "orders": int(n),
                     "min_fen": int(low), "max_fen": int(high), "median_fen": float(median),
                     "mean_fen": float(mean)})
    return rows


def targets(district_id: int | None = None) -> dict[CellKey, int]:
    """The targets (households to cover), per district, township, household category and device type."""
    query = select(Target.district_id, Target.township_id, Target.category, Target.device_type, Target.count)
    return {(int(d), int(t), str(c), str(k)): int(n)
            for d, t, c, k, n in db.session.execute(_where_district(query, Target.district_id, district_id))}


def target_totals() -> dict[int, tuple[int, int]]:
    """Per district: (all households to cover, priority households to cover)."""
    query = (select(Target.district_id, func.sum(Target.count),
                    func.sum(case((Target.category.in_(PRIORITY), Target.count), else_=0)))
             .group_by(Target.district_id))
    return {int(d): (int(total or 0), int(priority or 0)) for d, total, priority in db.session.execute(query)}


def first_activity() -> datetime | None:
    """The earliest instant any counted row carries (where the rollup starts)."""
    firsts = [db.session.scalar(select(func.min(Order.created_at))),
              db.session.scalar(select(func.min(InstalledDevice.installed_at))),
              db.session.scalar(select(func.min(Case.received_at))),
              db.session.scalar(select(func.min(Alarm.opened_at)))]
    found = [f for f in firsts if f is not None]
    return min(found) if found else None
