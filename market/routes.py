"""Public pages for buyers: search, product page, comparison, API documentation (no login needed)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user

from catalog.models import (
    CERTIFICATE_KIND_TITLES,
    DEVICE_TYPE_TITLES,
    TIER_TITLES,
    USAGE_TITLES,
)
from catalog.tiers import FEATURE_LABELS
from core import nav
from core.clock import today_shanghai
from core.db import db
from core.districts import District, all_districts
from core.i18n import _, _l, money, ngettext
from core.permissions import Role
from core.safe_redirect import local_or
from market import compare
from market.departures import departure
from market.listing import published_prices
from market.openapi import openapi_document
from market.search.params import PRICE_BANDS, parse_params
from market.search.query import highlight, search
from registry.lists.models import ANNOUNCEMENT_KIND_TITLES
from suppliers.models import SUPPLIER_STATUS_TITLES

bp = Blueprint("market", __name__)

nav.add("market.search_page", _l("找产品"), public=True, order=20)
nav.add_footer("market.api_docs", _l("开放 API"), order=80)

SUGGESTIONS = (_l("报警器"), _l("自闭阀"), _l("一氧化碳"), _l("智能"), _l("商用"))


@bp.app_template_filter("highlight")
def highlight_filter(text, terms):
    return highlight(text, terms or [])


def _home_district_code() -> str | None:
    if current_user.is_authenticated and current_user.has_role(Role.resident) and current_user.home_district_id:
        district = db.session.get(District, current_user.home_district_id)
        return district.code if district else None
    return None


def _search_args() -> dict:
    args = request.args.to_dict()
    if "district" not in args and (code := _home_district_code()):
        args["district"] = code
    return args


def facet_options(params, facets: dict, districts: dict[str, District], locale: str) -> list[dict]:
    """The facets of the search page: each value with its label, count, link and whether it is chosen."""
    labels = {
        "district": {code: d.display_name(locale) for code, d in districts.items()},
        "device_type": {str(k): str(v) for k, v in DEVICE_TYPE_TITLES.items()},
        "tier": {str(k): str(v) for k, v in TIER_TITLES.items()},
        "usage": {str(k): str(v) for k, v in USAGE_TITLES.items()},
        "smart": {"1": _("智能（有数据传输）"), "0": _("非智能")},
        "price": {key: (_("%(low)s 以上", low=money(lo)) if hi is None else f"{money(lo)} – {money(hi)}")
                  for key, lo, hi in PRICE_BANDS},
    }
    titles = {"district": _("区县"), "device_type": _("类型"), "tier": _("档次"), "usage": _("用途"),
              "smart": _("智能"), "price": _("价格（设备）")}
    bands = {key: (lo, hi) for key, lo, hi in PRICE_BANDS}
    groups = []
    for name, title in titles.items():
        options = []
        for key, label in labels[name].items():
            count = facets.get(name, {}).get(key, 0)
            if name == "price":
                lo, hi = bands[key]
                chosen = params.min_price == lo and params.max_price == (hi - 1 if hi else None)
                changes = {"min_price": lo, "max_price": hi - 1 if hi else None}
                clear = {"min_price": None, "max_price": None}
            elif name == "smart":
                chosen = params.smart is not None and ("1" if params.smart else "0") == key
                changes, clear = {"smart": key == "1"}, {"smart": None}
            else:
                chosen = getattr(params, name) == key
                changes, clear = {name: key}, {name: "" if name == "district" else None}
            if count or chosen:
                args = params.args(page=1, **(clear if chosen else changes))
                options.append({"label": label, "count": count, "chosen": chosen,
                                "url": url_for("market.search_page", **args)})
        if options:
            groups.append({"name": name, "title": title, "options": options})
    return groups


@bp.get("/search")
def search_page():
    params, errors = parse_params(_search_args(), per_page_limit=50)
    for error in errors:
        flash(error.message, "warning")
    result = search(params, with_facets=True)
    products, districts = compare.listed_products(result.ids, result.districts)
    district_map = {d.code: d for d in all_districts()}
    prices = compare.buyer_prices(products, current_user, districts, params.district or _home_district_code())
    return render_template("market/search.html", params=params, result=result, products=products,
                           districts=districts, district_map=district_map,
                           facets=facet_options(params, result.facets, district_map, str(get_locale())),
                           prices=prices,
                           compare_ids=compare.session_ids(session), suggestions=SUGGESTIONS,
                           feature_labels=FEATURE_LABELS, device_titles=DEVICE_TYPE_TITLES,
                           tier_titles=TIER_TITLES, usage_titles=USAGE_TITLES)


@bp.get("/products/<int:product_id>")
def product_page(product_id: int):
    products, districts = compare.listed_products([product_id])
    if not products:
        gone = departure(product_id)
        if gone is None:
            abort(404)
        return render_template("market/product_gone.html", gone=gone), 410
    product = products[0]
    district_prices = published_prices([product_id]).get(product_id, {})
    price = compare.buyer_price(product, current_user, district=_home_district_code(), prices=district_prices)
    return render_template("market/public_product.html", product=product, price=price,
                           district_prices=district_prices,
                           districts=[d for d in all_districts() if d.code in districts[product_id]],
                           feature_labels=FEATURE_LABELS, device_titles=DEVICE_TYPE_TITLES,
                           tier_titles=TIER_TITLES, usage_titles=USAGE_TITLES, kind_titles=CERTIFICATE_KIND_TITLES,
                           certificate_state=compare.certificate_state, today=today_shanghai(),
                           in_compare=product_id in compare.session_ids(session), home_code=_home_district_code(),
                           compare_count=len(compare.session_ids(session)))


@bp.get("/compare")
def compare_page():
    raw = request.args.get("ids")
    ids, message = compare.parse_ids(raw) if raw is not None else (compare.session_ids(session), None)
    if message:
        flash(message, "warning")
    products, districts = compare.listed_products(ids)
    if len(products) < len(ids):
        missing = len(ids) - len(products)
        flash(ngettext("有 %(num)d 个产品不存在或已不在公布的目录清单上，已略去。",
                       "有 %(num)d 个产品不存在或已不在公布的目录清单上，已略去。", missing), "warning")
    table = None
    if len(products) >= compare.MIN_COMPARE:
        table = compare.build_comparison(products, current_user, _home_district_code())
    home = _home_district_code()
    order_codes = {p.id: ([home] if home in districts.get(p.id, []) else districts.get(p.id, [])) for p in products}
    return render_template("market/compare.html", products=products, table=table, order_codes=order_codes,
                           session_ids=compare.session_ids(session), max_compare=compare.MAX_COMPARE)


def _back(default: str):
    return redirect(local_or(request.form.get("next"), default))


@bp.post("/compare/add")
def compare_add():
    product_id = request.form.get("product_id", "")
    valid = product_id.isdecimal() and len(product_id) < 10
    products = compare.listed_products([int(product_id)])[0] if valid else []
    if not products:
        flash(_("该产品不存在或已不在公布的目录清单上。"), "warning")
    else:
        flash(compare.add_to_session(session, products[0].id), "info")
    return _back(url_for("market.compare_page"))


@bp.post("/compare/remove")
def compare_remove():
    product_id = request.form.get("product_id", "")
    compare.remove_from_session(session, int(product_id) if product_id.isdecimal() and len(product_id) < 10 else None)
    flash(_("已从对比中移除。") if product_id else _("已清空对比列表。"), "info")
    return _back(url_for("market.compare_page"))


def _code_labels() -> dict[str, str]:
    """The plain-language label of each code the API uses as a value (device types, features, kinds...)."""
    labels = {}
    for titles in (DEVICE_TYPE_TITLES, USAGE_TITLES, TIER_TITLES, CERTIFICATE_KIND_TITLES, FEATURE_LABELS,
                   ANNOUNCEMENT_KIND_TITLES, SUPPLIER_STATUS_TITLES):
        labels.update({str(k): str(v) for k, v in titles.items()})
    labels.update({"relevance": _("相关度"), "price": _("价格从低到高"), "-price": _("价格从高到低")})
    return labels


@bp.get("/api")
def api_docs():
    return render_template("market/api_docs.html", doc=openapi_document(), labels=_code_labels(),
                           type_titles={"string": _("文本"), "integer": _("整数"), "boolean": _("是或否"),
                                        "array": _("列表"), "object": _("键值对象")},
                           where_titles={"query": _("查询参数"), "path": _("路径参数")})

