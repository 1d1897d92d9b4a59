"""The price monitor (SPEC 3.6, [附件1 四(三) 价格操纵, 六(三) 虚高产品价格]): flags on the current published lists.

Three rules, each computed in SQL over the frozen list versions (ListVersionItem.price_fen per district):

- inflated: a listed price more than PRICE_MONITOR_THRESHOLD_PERCENT above the median of its district, device
  type and tier (the median by row_number()/count() windows, so it runs on SQLite and PostgreSQL alike);
- raise: a price raised more than PRICE_MONITOR_RAISE_PERCENT over the price at the product's first listing in
  the district, by a version published within PRICE_MONITOR_RAISE_WINDOW_DAYS of that first listing;
- concert: PRICE_MONITOR_CONCERT_SUPPLIERS or more different suppliers of one district changing the price of the
  same device type and tier by the same ratio (new/old within ± PRICE_MONITOR_CONCERT_TOLERANCE_PERCENT percentage
  points, e.g. +10 % and +11 % are the same move, +10 % and +11.1 % are not) within
  PRICE_MONITOR_CONCERT_WINDOW_DAYS (a price change = a product's price on a version against its previous
  appearance on that district's list).

All comparisons are exact integer arithmetic on fen (cast to BIGINT): exactly 20 % above the median is not
flagged. Each finding opens one JC- case keyed by `monitor_key`; a key already used opens nothing (the unique
constraint is the last guard when two runs race).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import current_app
from sqlalchemy import BigInteger, Float, String, and_, cast, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from catalog.models import DEVICE_TYPE_TITLES, TIER_TITLES, DeviceType, Product, Tier
from complaints.models import Case, CaseCategory, CaseKind, CaseState
from complaints.queries import regulators
from complaints.services import compute_due, next_number, record_event
from complaints.working_days import Calendar
from core import audit
from core.clock import now_utc, to_shanghai, today_shanghai
from core.db import as_utc, db
from core.districts import District
from core.forms import format_yuan
from core.i18n import N_, msgid_of, translate_stored
from core.notifications import notify
from registry.lists.models import ListVersion, ListVersionItem
from registry.lists.queries import current_version_ids
from suppliers.models import Supplier

LV, LVI, P = ListVersion, ListVersionItem, Product

INFLATED_TEXT = N_("%(district)s%(device_type)s（%(tier)s）产品“%(product)s”（%(supplier)s）的清单价格 "
                   "%(price)s 元，比本区县同类同档 %(peers)s 个产品的中位价 %(median)s 元高 %(percent)s%%，"
                   "超过 %(threshold)s%% 的监测阈值。")
RAISE_TEXT = N_("%(district)s产品“%(product)s”（%(supplier)s）于 %(first_date)s 首次列入清单，价格 %(first_price)s 元；"
                "%(days)s 日后（%(raised_date)s）调至 %(price)s 元，上涨 %(percent)s%%，超过列入后 %(window)s 日内 "
                "%(threshold)s%% 的监测阈值。")
CONCERT_TEXT = N_("%(district)s %(count)s 家单位在 %(days)s 日内将%(device_type)s（%(tier)s）的价格按相同比例调整"
                  "（约 %(percent)s%%，相差不超过 %(tolerance)s 个百分点），疑似协同操纵价格：%(suppliers)s。")
OPENED = N_("价格监测发现异常，自动立案")
NOTICE_SUBJECT = N_("价格监测新立案 %(number)s")
NOTICE_BODY = N_("价格监测发现%(category)s线索（%(district)s），已立案 %(number)s，请及时核查。")
CATEGORY_MSGID = {CaseCategory.inflated_price: N_("虚高价格"), CaseCategory.price_manipulation: N_("价格操纵")}


class days_between(FunctionElement):  # noqa: N801 - an SQL function, named like one
    """Elapsed days (fractional) from the first timestamp to the second, on SQLite and PostgreSQL."""

    type = Float()
    name = "days_between"
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_between_sqlite(element, compiler, **kw) -> str:
    start, end = list(element.clauses)
    return f"(julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)}))"


@compiles(days_between)
def _days_between_default(element, compiler, **kw) -> str:
    start, end = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 86400.0)"


def _big(column):
    return cast(column, BigInteger)


@dataclass
class Finding:
    """One flag, before it becomes a case."""

    key: str
    category: CaseCategory
    district_id: int
    supplier_id: int
    product_id: int
    message: str
    params: dict
    evidence: dict = field(default_factory=dict)


# -- the SQL --------------------------------------------------------------------------------------------------

def _usage():
    """The product's usage as text ('' for devices without one), so that it groups and joins like any value."""
    return func.coalesce(cast(P.usage, String(20)), "").label("usage")


def _current_items():
    """Subquery: every product on a current published list, with its device type, usage and tier (a commercial
    alarm is compared with commercial alarms, a household one with household ones)."""
    return (select(LVI.district_id, LVI.product_id, LVI.supplier_id, LVI.price_fen, LVI.version_id,
                   P.device_type, _usage(), P.tier)
            .join(P, P.id == LVI.product_id).where(LVI.version_id.in_(current_version_ids()))).subquery("cur")


def inflated_rows(threshold: int) -> list:
    """(district, product, supplier, price, version, device type, tier, twice the median, group size) above it."""
    cur = _current_items()
    group = (cur.c.district_id, cur.c.device_type, cur.c.usage, cur.c.tier)
    ranked = select(cur, func.row_number().over(partition_by=group, order_by=(cur.c.price_fen, cur.c.product_id))
                    .label("rn"), func.count().over(partition_by=group).label("n")).subquery("ranked")
    # the middle row (odd n) or the two middle rows (even n): n <= 2·rn <= n + 2
    medians = (select(ranked.c.district_id, ranked.c.device_type, ranked.c.usage, ranked.c.tier,
                      (_big(func.min(ranked.c.price_fen)) + _big(func.max(ranked.c.price_fen))).label("median2"),
                      func.max(ranked.c.n).label("n"))
               .where(2 * ranked.c.rn >= ranked.c.n, 2 * ranked.c.rn <= ranked.c.n + 2)
               .group_by(ranked.c.district_id, ranked.c.device_type, ranked.c.usage, ranked.c.tier)
               ).subquery("medians")
    query = (select(cur.c.district_id, cur.c.product_id, cur.c.supplier_id, cur.c.price_fen, cur.c.version_id,
                    cur.c.device_type, cur.c.usage, cur.c.tier, medians.c.median2, medians.c.n)
             .join(medians, and_(medians.c.district_id == cur.c.district_id,
                                 medians.c.device_type == cur.c.device_type, medians.c.usage == cur.c.usage,
                                 medians.c.tier == cur.c.tier))
             .where(_big(cur.c.price_fen) * 200 > medians.c.median2 * (100 + threshold))
             .order_by(cur.c.district_id, cur.c.product_id))
    return list(db.session.execute(query))


def raise_rows(percent: int, window_days: int) -> list:
    """Listed products whose price on a version within the window of their first listing rose more than `percent`
    above the first price: (district, product, supplier, first price/version/time, raised price/version/time)."""
    cur = _current_items()
    history = (select(LVI.district_id, LVI.product_id, LVI.supplier_id, LVI.price_fen, LV.number, LV.published_at)
               .join(LV, LV.id == LVI.version_id)).subquery("history")
    ordered = select(history, func.row_number().over(
        partition_by=(history.c.district_id, history.c.product_id), order_by=history.c.number).label("k")
    ).subquery("ordered")
    first = select(ordered).where(ordered.c.k == 1).subquery("first")
    later = history.alias("later")
    raised = (select(first.c.district_id, first.c.product_id, later.c.supplier_id,
                     first.c.price_fen.label("first_price"), first.c.number.label("first_number"),
                     first.c.published_at.label("first_at"), later.c.price_fen.label("price"),
                     later.c.number.label("number"), later.c.published_at.label("at"),
                     func.row_number().over(partition_by=(first.c.district_id, first.c.product_id),
                                            order_by=(later.c.price_fen.desc(), later.c.number)).label("best"))
              .join(later, and_(later.c.district_id == first.c.district_id,
                                later.c.product_id == first.c.product_id, later.c.number > first.c.number))
              .join(cur, and_(cur.c.district_id == first.c.district_id, cur.c.product_id == first.c.product_id))
              .where(days_between(first.c.published_at, later.c.published_at) <= window_days,
                     _big(later.c.price_fen) * 100 > _big(first.c.price_fen) * (100 + percent))).subquery("raised")
    query = select(raised).where(raised.c.best == 1).order_by(raised.c.district_id, raised.c.product_id)
    return list(db.session.execute(query))


def concert_rows(suppliers: int, tolerance: int, window_days: int) -> list:
    """(anchor move, member move) pairs of every anchor whose group reaches `suppliers` different suppliers.

    A move is a listed product's price change between its previous appearance on the district's list and a
    version; an anchor's group is the moves of the same district, device type and tier on the anchor's version
    or a later one within `window_days`, whose ratio new/old differs from the anchor's by at most `tolerance`
    percentage points (symmetric: if m is in a's range, a is in m's).
    """
    cur = _current_items()
    history = (select(LVI.id, LVI.district_id, LVI.product_id, LVI.supplier_id, LVI.price_fen, LV.number,
                      LV.published_at, P.device_type, _usage(), P.tier,
                      func.lag(LVI.price_fen).over(partition_by=(LVI.district_id, LVI.product_id),
                                                   order_by=LV.number).label("old_price"))
               .join(LV, LV.id == LVI.version_id).join(P, P.id == LVI.product_id)).subquery("history")
    moves = (select(history).join(cur, and_(cur.c.district_id == history.c.district_id,
                                            cur.c.product_id == history.c.product_id))
             .where(history.c.old_price > 0, history.c.price_fen != history.c.old_price)).subquery("moves")
    a, m = moves.alias("a"), moves.alias("m")
    # |new_m/old_m − new_a/old_a| ≤ tolerance / 100, multiplied out by 100·old_a·old_m (exact integers)
    difference = _big(m.c.price_fen) * _big(a.c.old_price) - _big(a.c.price_fen) * _big(m.c.old_price)
    same_ratio = func.abs(difference) * 100 <= _big(a.c.old_price) * _big(m.c.old_price) * tolerance
    joined = and_(m.c.district_id == a.c.district_id, m.c.device_type == a.c.device_type, m.c.usage == a.c.usage,
                  m.c.tier == a.c.tier,
                  m.c.number >= a.c.number, days_between(a.c.published_at, m.c.published_at) <= window_days,
                  same_ratio)
    qualifying = (select(a.c.id).join(m, joined).group_by(a.c.id)
                  .having(func.count(m.c.supplier_id.distinct()) >= suppliers))
    query = (select(a.c.id.label("anchor"), a.c.district_id, a.c.device_type, a.c.tier,
                    a.c.number.label("anchor_number"), a.c.published_at.label("anchor_at"),
                    a.c.product_id.label("anchor_product"),
                    a.c.supplier_id.label("anchor_supplier"), a.c.old_price.label("anchor_old"),
                    a.c.price_fen.label("anchor_price"), m.c.id.label("member"), m.c.product_id, m.c.supplier_id,
                    m.c.old_price, m.c.price_fen, m.c.number, m.c.published_at)
             .join(m, joined).where(a.c.id.in_(qualifying))
             .order_by(a.c.district_id, a.c.device_type, a.c.tier, a.c.published_at, a.c.number, a.c.product_id,
                       m.c.number, m.c.supplier_id, m.c.product_id))
    return list(db.session.execute(query))


# -- findings -------------------------------------------------------------------------------------------------

class _Names:
    """Districts, suppliers and products named by the findings, loaded once per run."""

    def __init__(self, district_ids, supplier_ids, product_ids) -> None:
        self.districts = self._load(District, district_ids)
        self.suppliers = self._load(Supplier, supplier_ids)
        self.products = self._load(Product, product_ids)

    @staticmethod
    def _load(model, ids) -> dict:
        ids = set(ids)
        return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))} if ids else {}

    def district(self, district_id: int) -> dict:
        d = self.districts[district_id]
        return {"district": d.name, "district_en": d.name_en, "district_code": d.code}

    def supplier(self, supplier_id: int) -> str:
        return self.suppliers[supplier_id].legal_name

    def product(self, product_id: int) -> str:
        return self.products[product_id].title


def _day(moment) -> str:
    return to_shanghai(as_utc(moment)).date().isoformat()


def _percent(new: int | float, old: int | float) -> float:
    return round((new / old - 1) * 100, 1) if old else 0.0


def _median_fen(median2: int) -> int | float:
    return median2 // 2 if median2 % 2 == 0 else median2 / 2


def _type_params(device_type, tier) -> dict:
    return {"device_type": msgid_of(DEVICE_TYPE_TITLES[DeviceType(device_type)]),
            "tier": msgid_of(TIER_TITLES[Tier(tier)])}


def _row(names: _Names, *, supplier_id, product_id, price, number, at, old=None) -> dict:
    return {"supplier_id": supplier_id, "supplier": names.supplier(supplier_id), "product_id": product_id,
            "product": names.product(product_id), "old_price_fen": old, "price_fen": price,
            "change_percent": _percent(price, old) if old else None, "version": number,
            "date": _day(at) if at is not None else None}


def inflated_findings(threshold: int) -> list[Finding]:
    rows = inflated_rows(threshold)
    if not rows:
        return []
    cur = _current_items()
    groups = {(r.district_id, r.device_type, r.usage, r.tier) for r in rows}
    peers = list(db.session.execute(
        select(cur.c.district_id, cur.c.device_type, cur.c.usage, cur.c.tier, cur.c.product_id, cur.c.supplier_id,
               cur.c.price_fen, LV.number, LV.published_at).join(LV, LV.id == cur.c.version_id)
        .where(tuple_(cur.c.district_id, cur.c.device_type, cur.c.usage, cur.c.tier).in_(sorted(groups)))
        .order_by(cur.c.price_fen, cur.c.product_id)))
    names = _Names({r.district_id for r in rows}, {p.supplier_id for p in peers}, {p.product_id for p in peers})
    findings = []
    for r in rows:
        median = _median_fen(r.median2)
        key = (r.district_id, r.device_type, r.usage, r.tier)
        group = [p for p in peers if (p.district_id, p.device_type, p.usage, p.tier) == key]
        params = {**names.district(r.district_id), **_type_params(r.device_type, r.tier),
                  "product": names.product(r.product_id), "supplier": names.supplier(r.supplier_id),
                  "price": format_yuan(r.price_fen), "median": format_yuan(round(median)),
                  "percent": _percent(r.price_fen, median), "peers": r.n, "threshold": threshold}
        evidence = {"rule": "inflated", "price_fen": r.price_fen, "median_fen": median, "peers": r.n,
                    "percent_over_median": params["percent"], "threshold_percent": params["threshold"],
                    "flagged_product_id": r.product_id,
                    "rows": [_row(names, supplier_id=p.supplier_id, product_id=p.product_id, price=p.price_fen,
                                  number=p.number, at=p.published_at) for p in group]}
        findings.append(Finding(f"inflated:{r.district_id}:{r.product_id}:{r.price_fen}", CaseCategory.inflated_price,
                                r.district_id, r.supplier_id, r.product_id, INFLATED_TEXT, params, evidence))
    return findings


def raise_findings(percent: int, window_days: int) -> list[Finding]:
    rows = raise_rows(percent, window_days)
    names = _Names({r.district_id for r in rows}, {r.supplier_id for r in rows}, {r.product_id for r in rows})
    findings = []
    for r in rows:
        days = (as_utc(r.at) - as_utc(r.first_at)).days
        params = {**names.district(r.district_id), "product": names.product(r.product_id),
                  "supplier": names.supplier(r.supplier_id), "first_date": _day(r.first_at),
                  "first_price": format_yuan(r.first_price), "raised_date": _day(r.at), "price": format_yuan(r.price),
                  "days": days, "percent": _percent(r.price, r.first_price), "window": window_days,
                  "threshold": percent}
        evidence = {"rule": "raise", "first_price_fen": r.first_price, "first_version": r.first_number,
                    "first_date": params["first_date"], "price_fen": r.price, "version": r.number,
                    "date": params["raised_date"], "days_after_listing": days, "raise_percent": params["percent"],
                    "window_days": window_days, "threshold_percent": percent,
                    "rows": [_row(names, supplier_id=r.supplier_id, product_id=r.product_id, price=r.first_price,
                                  number=r.first_number, at=r.first_at),
                             _row(names, supplier_id=r.supplier_id, product_id=r.product_id, price=r.price,
                                  number=r.number, at=r.at, old=r.first_price)]}
        findings.append(Finding(f"raise:{r.district_id}:{r.product_id}:{r.price}", CaseCategory.price_manipulation,
                                r.district_id, r.supplier_id, r.product_id, RAISE_TEXT, params, evidence))
    return findings


def concert_findings(suppliers: int, tolerance: int, window_days: int) -> list[Finding]:
    rows = concert_rows(suppliers, tolerance, window_days)
    groups: dict[int, list] = {}
    for r in rows:
        groups.setdefault(r.anchor, []).append(r)
    # the earliest qualifying anchor of a cluster speaks for it: an anchor already inside a chosen group is skipped
    taken: set[int] = set()
    chosen = []
    for anchor, members in groups.items():
        if anchor in taken:
            continue
        taken.update(m.member for m in members)
        chosen.append(members)
    names = _Names({r.district_id for r in rows}, {r.supplier_id for r in rows}, {r.product_id for r in rows})
    findings = []
    for members in chosen:
        a = members[0]
        supplier_ids = list(dict.fromkeys(m.supplier_id for m in members))
        params = {**names.district(a.district_id), **_type_params(a.device_type, a.tier),
                  "count": len(supplier_ids), "days": window_days, "percent": _percent(a.anchor_price, a.anchor_old),
                  "tolerance": tolerance, "suppliers": "、".join(names.supplier(s) for s in supplier_ids)}
        evidence = {"rule": "concert", "ratio": round(a.anchor_price / a.anchor_old, 4),
                    "change_percent": params["percent"], "suppliers": len(supplier_ids),
                    "supplier_ids": supplier_ids, "window_days": window_days, "tolerance_percent": tolerance,
                    "from_date": _day(a.anchor_at), "to_date": _day(max(as_utc(m.published_at) for m in members)),
                    "rows": [_row(names, supplier_id=m.supplier_id, product_id=m.product_id, price=m.price_fen,
                                  number=m.number, at=m.published_at, old=m.old_price) for m in members]}
        key = f"concert:{a.district_id}:{a.device_type}:{a.tier}:{a.anchor_number}:{a.anchor_product}"
        findings.append(Finding(key, CaseCategory.price_manipulation, a.district_id, a.anchor_supplier,
                                a.anchor_product, CONCERT_TEXT, params, evidence))
    return findings


def findings() -> list[Finding]:
    """Every finding on the current lists, by the settings (nothing written)."""
    config = current_app.config
    return [
        *inflated_findings(int(config["PRICE_MONITOR_THRESHOLD_PERCENT"])),
        *raise_findings(int(config["PRICE_MONITOR_RAISE_PERCENT"]), int(config["PRICE_MONITOR_RAISE_WINDOW_DAYS"])),
        *concert_findings(int(config["PRICE_MONITOR_CONCERT_SUPPLIERS"]),
                          int(config["PRICE_MONITOR_CONCERT_TOLERANCE_PERCENT"]),
                          int(config["PRICE_MONITOR_CONCERT_WINDOW_DAYS"])),
    ]


# -- cases ----------------------------------------------------------------------------------------------------

def chinese_text(message: str, params: dict) -> str:
    """The finding as stored in the case's description (Chinese, whatever the locale of the run)."""
    try:
        return message % params
    except (KeyError, ValueError, TypeError):  # pragma: no cover - the messages above are tested
        return message


def run_monitor(today: date | None = None, *, actor=None) -> list[Case]:
    """Open one JC- case per new finding (flushes, never commits); returns the cases opened by this run."""
    today = today or today_shanghai()
    found = findings()
    if not found:
        return []
    used = set(db.session.scalars(select(Case.monitor_key).where(Case.monitor_key.in_([f.key for f in found]))))
    cal = Calendar.load()
    told = regulators()
    opened = []
    for finding in found:
        if finding.key in used:
            continue
        used.add(finding.key)
        case = _open_case(finding, today=today, actor=actor, cal=cal, told=told)
        if case is not None:
            opened.append(case)
    return opened


def _open_case(finding: Finding, *, today: date, actor, cal: Calendar, told: list) -> Case | None:
    try:
        with db.session.begin_nested():
            case = Case(number=next_number(CaseKind.monitor, on=today), kind=CaseKind.monitor,
                        state=CaseState.submitted, category=finding.category, district_id=finding.district_id,
                        supplier_id=finding.supplier_id, product_id=finding.product_id,
                        description=chinese_text(finding.message, finding.params),
                        evidence={**finding.evidence, "message": finding.message, "params": finding.params,
                                  "detected_on": today.isoformat()},
                        monitor_key=finding.key, received_at=now_utc())
            compute_due(case, cal)
            db.session.add(case)
            db.session.flush()
    except IntegrityError:  # another run opened it first
        return None
    record_event(case, OPENED, actor=actor, params={"number": case.number}, audience="all")
    audit.record(actor, "case.monitor_opened", case, {"state": (None, case.state.value)},
                 extra={"number": case.number, "category": finding.category.value, "monitor_key": finding.key})
    params = {"number": case.number, "category": CATEGORY_MSGID[finding.category],
              "district": finding.params["district"], "district_en": finding.params["district_en"]}
    notify(told, NOTICE_SUBJECT, NOTICE_BODY, params=params, link=f"/regulator/cases/{case.number}")
    db.session.flush()
    return case


def evidence_text(case: Case) -> str:
    """The finding in the reader's language (the description keeps the Chinese text)."""
    evidence = case.evidence or {}
    if evidence.get("message"):
        return translate_stored(evidence["message"], evidence.get("params") or {})
    return case.description
