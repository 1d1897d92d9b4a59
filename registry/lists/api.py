"""Open JSON API of the registry under /api/v1 (SPEC 7): districts, lists, versions, suppliers, announcements."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from core.db import as_utc, db
from core.districts import District, all_districts
from core.http_cache import cached_response
from core.i18n import _
from core.web import error_response
from registry.lists import queries
from registry.lists.models import AnnouncementKind
from registry.lists.public_routes import generation, list_stamp
from registry.lists.snapshots import diff, supplier_public_dict
from suppliers.models import Supplier, SupplierStatus

bp = Blueprint("registry_api", __name__, url_prefix="/api/v1")


def _iso(value) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def _json(body) -> bytes:
    """The bytes jsonify would send."""
    return current_app.json.response(body).get_data()


def _cached(parts: tuple, render, last_modified):
    """A list answer with ETag / Last-Modified / 304 and `public, max-age=60` (the same for everyone)."""
    return cached_response(parts, render, last_modified=last_modified, mimetype="application/json", shared=True,
                           local=generation())


def _district_or_error(code: str):
    district = queries.district_by_code(code)
    if district is None:
        return None, error_response(404, _("未知的区县代码：%(code)s", code=code), error_code="not_found",
                                    field="code")
    return district, None


def _version_dict(district, version, previous=None, *, full: bool) -> dict:
    changes = diff(previous.snapshot if previous else None, version.snapshot)
    body = {"district": district.code, "version": version.number, "published_at": _iso(version.published_at),
            "exception_reason": version.exception_reason, "supplier_count": len(version.suppliers),
            "product_count": sum(len(s["products"]) for s in version.suppliers),
            "below_minimum": version.below_minimum, "added": changes["added"], "removed": changes["removed"],
            "price_changes": changes["price_changes"]}
    if full:
        body["suppliers"] = version.suppliers
    return body


@bp.get("/districts")
def districts():
    current = queries.current_versions()
    rows = []
    for d in all_districts():
        v = current.get(d.id)
        rows.append({"code": d.code, "name": d.name, "name_en": d.name_en, "kind": str(d.kind), "list": {
            "published": v is not None, "version": v.number if v else None,
            "published_at": _iso(v.published_at) if v else None,
            "supplier_count": len(v.suppliers) if v else 0}})
    return jsonify({"districts": rows})


def _stamp_or_error(code: str):
    stamp = list_stamp(code)
    if stamp is None:
        return None, error_response(404, _("未知的区县代码：%(code)s", code=code), error_code="not_found",
                                    field="code")
    return stamp, None


@bp.get("/districts/<code>/list")
def district_list(code: str):
    stamp, error = _stamp_or_error(code)
    if error:
        return error
    if stamp.version_id is None:
        return error_response(404, _("该区县尚未公布目录清单。"), error_code="not_published", field="code")

    def render() -> bytes:
        version = queries.version_by_id(stamp.version_id)
        return _json({"district": stamp.code, "version": version.number,
                      "published_at": _iso(version.published_at), "exception_reason": version.exception_reason,
                      "below_minimum": version.below_minimum, "suppliers": version.suppliers})

    return _cached(("list", stamp.code, stamp.version_id, stamp.number, stamp.published_at), render,
                   stamp.published_at)


@bp.get("/districts/<code>/list/versions")
def district_list_versions(code: str):
    stamp, error = _stamp_or_error(code)
    if error:
        return error

    def render() -> bytes:
        district = db.session.get(District, stamp.id)
        history = list(reversed(queries.versions(district)))
        rows = [_version_dict(district, v, history[i - 1] if i else None, full=False) for i, v in enumerate(history)]
        return _json({"district": district.code, "versions": list(reversed(rows))})

    # versions are never changed nor deleted: the latest names the whole history
    return _cached(("versions", stamp.code, stamp.version_id, stamp.number, stamp.published_at), render,
                   stamp.published_at)


@bp.get("/districts/<code>/list/versions/<int:number>")
def district_list_version(code: str, number: int):
    district, error = _district_or_error(code)
    if error:
        return error
    version = queries.version_by_number(district, number)
    if version is None:
        return error_response(404, _("没有该版本。"), error_code="not_found", field="number")
    return _cached(("version", district.code, version.id, version.published_at),
                   lambda: _json(_version_dict(district, version, queries.previous_version(version), full=True)),
                   version.published_at)


@bp.get("/suppliers/<int:supplier_id>")
def supplier(supplier_id: int):
    company = db.session.get(Supplier, supplier_id)
    if company is None or company.status == SupplierStatus.registered:
        return error_response(404, _("没有该销售安装单位。"), error_code="not_found", field="id")
    return jsonify({**supplier_public_dict(company), "status": str(company.status),
                    "districts": [d.code for d in queries.supplier_listed_districts(company.id)]})


@bp.get("/announcements")
def announcements():
    code, kind = request.args.get("district") or None, request.args.get("kind") or None
    district = None
    if code:
        district = queries.district_by_code(code)
        if district is None:
            return error_response(400, _("未知的区县代码：%(code)s", code=code), error_code="invalid", field="district")
    if kind and kind not in AnnouncementKind.__members__:
        return error_response(400, _("未知的公告类别：%(kind)s（可选：%(kinds)s）", kind=kind,
                                     kinds=", ".join(AnnouncementKind.__members__)),
                              error_code="invalid", field="kind")
    items = db.session.scalars(queries.announcements_query(district, kind).limit(500)).all()
    return jsonify({"announcements": [{
        "id": a.id, "district": a.district.code, "kind": str(a.kind), "title": a.title_text, "body": a.body_text,
        "published_at": _iso(a.published_at), "case_number": a.case_number} for a in items]})
