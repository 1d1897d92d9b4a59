"""Public pages (no login): districts and their lists, versions, announcements, supplier profiles."""

from __future__ import annotations

import time

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import event

from catalog.models import TIER_ORDER, TIER_TITLES, DeviceType, Tier, Usage
from core import nav
from core.clock import today_shanghai
from core.db import as_utc, db
from core.districts import District, all_districts
from core.http_cache import LRU, build_version, cached_response
from core.i18n import _l
from core.request_args import int_arg
from registry.districts.subsidy import list_subsidies
from registry.lists import publication, queries
from registry.lists.labels import TITLES, resolved_titles
from registry.lists.models import Announcement, AnnouncementKind, ListVersion
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


def filter_label(chosen: dict[str, str]) -> str:
    """What a filter shows, in words: 安全自闭阀, 家用燃气泄漏报警装置, 高档 ..., device and tier joined by " · "."""
    words = []
    if "device_type" in chosen:
        for option_type, option_usage, label in FILTER_OPTIONS:
            if (chosen.get("device_type"), chosen.get("usage")) == (option_type, option_usage):
                words.append(str(label))
                break
        else:
            words.append(str(TITLES["device_type"][DeviceType(chosen["device_type"])]))
    if "tier" in chosen:
        words.append(str(TIER_TITLES[Tier(chosen["tier"])]))
    return " · ".join(words)


#: The tiers in their order (plain strings).
TIER_VALUES = [str(t) for t in TIER_ORDER]

#: Rendered supplier cards of a list version: (version id, locale, filter, build) → Markup. A version is
#: immutable and a new one (publication, removal, a product withdrawn) has a new id, so an entry never goes stale.
CARDS = LRU(256)


#: Bumped whenever this process writes a list version or an announcement. Versions are never changed, but their
#: ids start again in an emptied database (tests): the in-process caches never trust an id alone.
_written = [0]


def generation() -> int:
    return _written[0]


def _bump(*_args) -> None:
    _written[0] += 1


#: code → (read at, generation, stamp): the validators of a list page, re-read at most every
#: LIST_STAMP_TTL_SECONDS per worker (and at once after this process writes a version or an announcement).
#: Anonymous answers may be cached for max-age=60 s anyway; a second of reuse takes the database off the path
#: of a campaign's warm requests.
_STAMPS: dict[str, tuple[float, int, object]] = {}


def list_stamp(code: str):
    """`queries.list_stamp(code)`, reused for a short while (see `_STAMPS`)."""
    ttl = current_app.config.get("LIST_STAMP_TTL_SECONDS", 1.0)
    now = time.monotonic()
    cached = _STAMPS.get(code)
    if ttl > 0 and cached is not None and cached[1] == generation() and now - cached[0] < ttl:
        return cached[2]
    stamp = queries.list_stamp(code)
    if ttl > 0:
        if len(_STAMPS) > 1024:  # codes that are not districts are looked up too: keep the map small
            _STAMPS.clear()
        _STAMPS[code] = (now, generation(), stamp)
    return stamp


for _cls in (ListVersion, Announcement):
    event.listen(_cls, "after_insert", _bump)


@bp.context_processor
def _titles():
    return {"titles": resolved_titles(), "tier_order": TIER_VALUES, **publication.TEMPLATE_HELPERS}


def _district_or_404(code: str):
    district = queries.district_by_code(code)
    if district is None:
        abort(404)
    return district


@bp.route("/districts")
def districts():
    return render_template("registry/districts.html", districts=all_districts(), current=queries.current_versions())


def _list_filter() -> tuple[dict[str, str], list[str]]:
    """The `device_type` / `usage` / `tier` filter of a district list: known values, and the names of unknown ones.

    Unknown values are ignored (the page says so); the answer depends on the query string only (cacheable).
    """
    chosen, ignored = {}, []
    for name, allowed in (("device_type", {d.value for d in DeviceType}), ("usage", {u.value for u in Usage}),
                          ("tier", {t.value for t in Tier})):
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


def _latest(*moments):
    found = [as_utc(m) for m in moments if m is not None]
    return max(found) if found else None


def supplier_cards(district, version, suppliers: list[dict], chosen: dict[str, str], subsidies: dict,
                   *, orderable: bool = True) -> Markup:
    """The list's jump links and supplier cards; kept per (version, locale, filter) unless subsidies are shown."""
    def render() -> Markup:
        html = render_template("registry/_cards.html", district=district, version=version, suppliers=suppliers,
                               subsidies=subsidies, orderable=orderable)
        return Markup(html)  # noqa: S704 - the output of an autoescaping template

    if subsidies:
        return render()  # personal: never shared
    key = (version.id, generation(), str(get_locale() or ""), tuple(sorted(chosen.items())), orderable,
           build_version())
    return CARDS.get_or_make(key, render)


def _stamp_or_404(code: str):
    stamp = list_stamp(code)
    if stamp is None:
        abort(404)
    return stamp


def _district_of(stamp) -> District:
    return db.session.get(District, stamp.id)


def _names(stamp) -> tuple:
    return (stamp.code, stamp.name, stamp.name_en)


@bp.route("/districts/<code>")
def district(code: str):
    stamp = _stamp_or_404(code)
    chosen, ignored = _list_filter()

    def render() -> str:
        district = _district_of(stamp)
        version = queries.version_by_id(stamp.version_id) if stamp.version_id else None
        announcements = db.session.scalars(queries.announcements_query(district).limit(5)).all()
        suppliers = filtered_suppliers(version.suppliers, chosen) if version else []
        products = [p for s in suppliers for p in s.get("products", [])]
        subsidies = list_subsidies(current_user, district.id, products, today_shanghai())
        cards = supplier_cards(district, version, suppliers, chosen, subsidies) if version else Markup("")
        return render_template("registry/district.html", district=district, version=version,
                               announcements=announcements, suppliers=suppliers, cards=cards, list_filter=chosen,
                               ignored_filters=ignored, subsidies=subsidies, filter_options=FILTER_OPTIONS,
                               tier_options=TIER_VALUES, filter_label=filter_label(chosen) if chosen else None)

    # versions and announcements are only ever added: the latest of each (and the count) name what is shown
    parts = ("district", *_names(stamp), stamp.version_id, stamp.number, stamp.published_at, stamp.notes_last,
             stamp.notes_count)
    return cached_response(parts, render, local=generation(),
                           last_modified=_latest(stamp.published_at, stamp.notes_at))


@bp.route("/districts/<code>/versions")
def versions(code: str):
    stamp = _stamp_or_404(code)
    a, b = int_arg("a"), int_arg("b")
    if a is not None and b is not None and not (stamp.number and 1 <= a <= stamp.number and 1 <= b <= stamp.number):
        abort(404)

    def render() -> str:
        district = _district_of(stamp)
        history = queries.versions(district)
        by_number = {v.number: v for v in history}
        diffs = {v.number: diff(by_number[v.number - 1].snapshot if v.number - 1 in by_number else None,
                                v.snapshot) for v in history}
        compare = None
        if a is not None and b is not None:
            compare = {"a": a, "b": b, "diff": diff(by_number[a].snapshot, by_number[b].snapshot)}
        return render_template("registry/versions.html", district=district, history=history, diffs=diffs,
                               compare=compare)

    # versions are never changed nor deleted: the latest one names the whole history
    parts = ("versions", *_names(stamp), stamp.version_id, stamp.number, stamp.published_at)
    return cached_response(parts, render, local=generation(), last_modified=stamp.published_at)


@bp.route("/districts/<code>/versions/<int:number>")
def version(code: str, number: int):
    """An earlier (or the current) version as a page: its suppliers and products, as they were published."""
    stamp = _stamp_or_404(code)
    shown = queries.version_stamp(stamp.id, number)
    if shown is None:
        abort(404)

    def render() -> str:
        district = _district_of(stamp)
        version = queries.version_by_id(shown[0])
        previous = queries.previous_version(version)
        changes = diff(previous.snapshot if previous else None, version.snapshot)
        cards = supplier_cards(district, version, version.suppliers, {}, {}, orderable=False)
        return render_template("registry/version.html", district=district, version=version, cards=cards,
                               current_number=stamp.number, changes=changes, first=previous is None)

    # the page names the current version (a notice and a link): it changes when a new one is published
    parts = ("version", *_names(stamp), shown[0], shown[1], stamp.version_id, stamp.number)
    return cached_response(parts, render, local=generation(), last_modified=_latest(shown[1], stamp.published_at))


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
                           listings=queries.supplier_current_listings(company.id),
                           complaints=complaint_figures.figures(company.id, today_shanghai()))
