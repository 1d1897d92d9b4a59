"""Public pages (no login): districts and their lists, versions, announcements, supplier profiles."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from catalog.models import TIER_ORDER, DeviceType, Usage
from core import nav
from core.clock import today_shanghai
from core.db import db
from core.districts import all_districts
from core.i18n import _l
from core.request_args import int_arg
from registry.districts.subsidy import list_subsidies
from registry.lists import queries
from registry.lists.labels import TITLES
from registry.lists.models import AnnouncementKind
from registry.lists.snapshots import diff, supplier_public_dict
from suppliers import complaint_figures
from suppliers.models import Supplier, SupplierStatus

bp = Blueprint("public", __name__)

nav.add("registry.public.districts", _l("区县目录清单"), public=True, order=10)
nav.add("registry.public.announcements", _l("公告"), public=True, order=30)

#: The filter links above a district's list: (device_type, usage) — what the requirement advisor links to.
FILTER_OPTIONS = (("self_closing_valve", None, _l("安全自闭阀")),
                  ("leak_alarm", "household", _l("家用燃气泄漏报警装置")),
                  ("leak_alarm", "commercial", _l("商用燃气泄漏报警装置")))


def filter_label(chosen: dict[str, str]):
    """What a filter shows, in words: 安全自闭阀, 家用燃气泄漏报警装置, 燃气泄漏报警装置 ..."""
    for option_type, option_usage, label in FILTER_OPTIONS:
        if (chosen.get("device_type"), chosen.get("usage")) == (option_type, option_usage):
            return label
    return TITLES["device_type"][DeviceType(chosen["device_type"])]


@bp.context_processor
def _titles():
    return {"titles": TITLES, "tier_order": [str(t) for t in TIER_ORDER]}


def _district_or_404(code: str):
    district = queries.district_by_code(code)
    if district is None:
        abort(404)
    return district


@bp.route("/districts")
def districts():
    return render_template("registry/districts.html", districts=all_districts(), current=queries.current_versions())


def _list_filter() -> tuple[dict[str, str], list[str]]:
    """The `device_type` / `usage` filter of a district list: known values, and the names of unknown ones.

    Unknown values are ignored (the page says so); the answer depends on the query string only (cacheable).
    """
    chosen, ignored = {}, []
    for name, allowed in (("device_type", {d.value for d in DeviceType}), ("usage", {u.value for u in Usage})):
        value = (request.args.get(name) or "").strip()
        if value in allowed:
            chosen[name] = value
        elif value:
            ignored.append(name)
    # household / commercial tells alarms apart: a usage implies an alarm, and a valve has none
    if chosen.get("device_type") == DeviceType.self_closing_valve and chosen.pop("usage", None):
        ignored.append("usage")
    elif "usage" in chosen:
        chosen["device_type"] = DeviceType.leak_alarm.value
    return chosen, ignored


def filtered_suppliers(suppliers: list[dict], chosen: dict[str, str]) -> list[dict]:
    """The snapshot's suppliers with only the products that match the filter; suppliers left empty drop out."""
    if not chosen:
        return suppliers
    result = []
    for supplier in suppliers:
        products = [p for p in supplier.get("products", [])
                    if all(p.get(name) == value for name, value in chosen.items())]
        if products:
            result.append(dict(supplier, products=products))
    return result


@bp.route("/districts/<code>")
def district(code: str):
    district = _district_or_404(code)
    version = queries.current_version(district)
    notes = db.session.scalars(queries.announcements_query(district).limit(5)).all()
    chosen, ignored = _list_filter()
    suppliers = filtered_suppliers(version.suppliers, chosen) if version else []
    products = [p for s in suppliers for p in s.get("products", [])]
    subsidies = list_subsidies(current_user, district.id, products, today_shanghai())
    return render_template("registry/district.html", district=district, version=version, announcements=notes,
                           suppliers=suppliers, list_filter=chosen, ignored_filters=ignored, subsidies=subsidies,
                           filter_options=FILTER_OPTIONS, filter_label=filter_label(chosen) if chosen else None)


@bp.route("/districts/<code>/versions")
def versions(code: str):
    district = _district_or_404(code)
    history = queries.versions(district)
    by_number = {v.number: v for v in history}
    diffs = {v.number: diff(by_number[v.number - 1].snapshot if v.number - 1 in by_number else None, v.snapshot)
             for v in history}
    compare = None
    a, b = int_arg("a"), int_arg("b")
    if a is not None and b is not None:
        if a not in by_number or b not in by_number:
            abort(404)
        compare = {"a": a, "b": b, "diff": diff(by_number[a].snapshot, by_number[b].snapshot)}
    return render_template("registry/versions.html", district=district, history=history, diffs=diffs,
                           compare=compare)


@bp.route("/announcements")
def announcements():
    code, kind = request.args.get("district") or None, request.args.get("kind") or None
    district = queries.district_by_code(code) if code else None
    kind_value = kind if kind in AnnouncementKind.__members__ else None
    page = db.paginate(queries.announcements_query(district, kind_value), per_page=20, error_out=False)
    return render_template("registry/announcements.html", page=page, districts=all_districts(),
                           district=district, kind=kind_value)


@bp.route("/suppliers/<int:supplier_id>")
def supplier(supplier_id: int):
    company = db.session.get(Supplier, supplier_id)
    if company is None or company.status == SupplierStatus.registered:
        abort(404)
    return render_template("registry/supplier_public.html", supplier=company, public=supplier_public_dict(company),
                           listed_in=queries.supplier_listed_districts(company.id),
                           complaints=complaint_figures.figures(company.id, today_shanghai()))
