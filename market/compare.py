"""Buyer-facing views of listed products: prices (early price, subsidy, net) and the comparison."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from catalog.models import (
    CERTIFICATE_KIND_TITLES,
    CERTIFICATE_STATUS_TITLES,
    DEVICE_TYPE_TITLES,
    TIER_TITLES,
    USAGE_TITLES,
    CertificateStatus,
    Product,
)
from catalog.tiers import FEATURE_LABELS, FEATURES
from core.clock import today_shanghai
from core.db import db
from core.districts import District
from core.i18n import _, _l, join_list, money, ngettext
from market.listing import listed_districts, load_products, published_price, published_prices
from registry.districts.household_queries import claim_in_force
from registry.districts.subsidy import NO_SUBSIDY, SubsidyQuote, applicable_policy, order_subsidy

MAX_COMPARE = 4
MIN_COMPARE = 2
SESSION_KEY = "compare_ids"

@dataclass
class BuyerPrice:
    """What a buyer pays for one product: device (early price when it applies) + installation − subsidy."""

    product: Product
    unit_fen: int
    early: bool
    install_fen: int
    subsidy_fen: int | None = None
    subsidy_district_id: int | None = None
    #: The device price published on the list (before any early-application price).
    published_fen: int = 0
    #: The early-application price's last day has passed.
    early_expired: bool = False

    @property
    def total_fen(self) -> int:
        return self.unit_fen + self.install_fen

    @property
    def net_fen(self) -> int | None:
        return None if self.subsidy_fen is None else max(0, self.total_fen - self.subsidy_fen)


def _home_district(user) -> District | None:
    """The viewer's home district, for a household (organisations get no household subsidy)."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "is_organisation", True):
        return None
    return db.session.get(District, user.home_district_id) if user.home_district_id else None


class Subsidies:
    """registry's order_subsidy for many products of one viewer in their home district: the claim and each
    device type's policy are read once (a page of results costs no statement per product).

    `quote` answers exactly what order_subsidy(user, home.id, device_type, total, on) answers
    (tests/market/test_search_sql.py compares them).
    """

    def __init__(self, user, home: District, on: date) -> None:
        self.user, self.home, self.on = user, home, on
        self._claim = claim_in_force(user)
        self._policies: dict[str, object] = {}

    def quote(self, device_type: str, total_fen: int) -> SubsidyQuote:
        claim = self._claim
        if claim is None or claim.district_id != self.home.id or self.user.home_district_id != self.home.id:
            return NO_SUBSIDY
        category = str(claim.category)
        if device_type not in self._policies:
            self._policies[device_type] = applicable_policy(self.home.id, category, device_type, self.on)
        policy = self._policies[device_type]
        if policy is None or total_fen <= 0:
            return SubsidyQuote(0, category, None, claim.id)
        return SubsidyQuote(policy.amount_for(total_fen), category, policy.id, claim.id)


def buyer_price(product: Product, user=None, on: date | None = None, *, district: str | None = None,
                prices: dict[str, tuple[int, int]] | None = None, listed_in: list[str] | None = None,
                subsidies: Subsidies | None = None) -> BuyerPrice:
    """What a viewer would pay today at the published price (in `district`, else the lowest published one),
    the early-application price when it applies and is lower, less their household subsidy
    (registry.districts.subsidy.order_subsidy) when their home district lists the product and a claim of
    theirs is in force there.

    `listed_in` (the codes of the districts listing the product) and `subsidies` spare the queries when pricing
    many products (buyer_prices).
    """
    on = on or today_shanghai()
    if prices is None:
        prices = published_prices([product.id]).get(product.id, {})
    home = subsidies.home if subsidies is not None else _home_district(user)
    if home is not None and listed_in is None:
        listed_in = listed_districts([product.id]).get(product.id, [])
    #: A district subsidises only the products on its own current list.
    home_lists_it = home is not None and home.code in (listed_in or [])
    if district is None and home_lists_it and prices and home.code in prices:
        district = home.code
    published, fee = published_price(product, prices, district)
    early = product.early_price_fen is not None and product.early_price_until is not None \
        and on <= product.early_price_until and product.early_price_fen < published
    price = BuyerPrice(product, product.early_price_fen if early else published, early, fee,
                       published_fen=published, early_expired=bool(product.early_price_until)
                       and on > product.early_price_until)
    # Only at the home district's own published price: a price shown for another district gets no subsidy.
    if home_lists_it and district == home.code:
        if subsidies is not None:
            quote = subsidies.quote(str(product.device_type), price.total_fen)
        else:
            quote = order_subsidy(user, home.id, str(product.device_type), price.total_fen, on)
        if quote.applies:
            price.subsidy_district_id, price.subsidy_fen = home.id, quote.fen
    return price


def buyer_prices(products: list[Product], user, districts: dict[int, list[str]], district: str | None = None,
                 on: date | None = None) -> dict[int, BuyerPrice]:
    """buyer_price for many products at once, in a number of statements that does not grow with them."""
    on = on or today_shanghai()
    published = published_prices(p.id for p in products)
    home = _home_district(user)
    subsidies = Subsidies(user, home, on) if home is not None and products else None
    return {p.id: buyer_price(p, user, on, district=district, prices=published.get(p.id, {}),
                              listed_in=districts.get(p.id, []), subsidies=subsidies) for p in products}


def listed_products(ids: list[int], districts: dict[int, list[str]] | None = None
                    ) -> tuple[list[Product], dict[int, list[str]]]:
    """The products among `ids` that are on a current published list, in the order asked (`districts`: the
    listing already known, e.g. from the search)."""
    if districts is None:
        districts = listed_districts(ids)
    by_id = load_products(pid for pid in ids if pid in districts)
    return [by_id[i] for i in ids if i in by_id], districts


def parse_ids(raw: str | None) -> tuple[list[int], str | None]:
    """Ids from "1,2,3"; a message when something was wrong (duplicates dropped, at most MAX_COMPARE)."""
    parts = [p for p in re.split(r"[,\s，]+", raw or "") if p]
    ids = list(dict.fromkeys(int(p) for p in parts if p.isdecimal() and len(p) < 10))
    message = None
    if len(ids) != len(parts):
        message = _("地址中有无法识别的产品编号，已忽略。")
    if len(ids) > MAX_COMPARE:
        ids = ids[:MAX_COMPARE]
        message = _("最多同时对比 %(n)s 个产品，只显示前 %(n)s 个。", n=MAX_COMPARE)
    return ids, message


def session_ids(session) -> list[int]:
    return [int(i) for i in session.get(SESSION_KEY, []) if str(i).isdigit()][:MAX_COMPARE]


def add_to_session(session, product_id: int) -> str:
    """Add a product to the viewer's comparison; returns the message to show."""
    ids = session_ids(session)
    if product_id in ids:
        return _("该产品已在对比列表中。")
    if len(ids) >= MAX_COMPARE:
        return _("对比列表已满（最多 %(n)s 个），请先移除一个产品。", n=MAX_COMPARE)
    session[SESSION_KEY] = [*ids, product_id]
    return _("已加入对比（%(n)s/%(max)s）。", n=len(ids) + 1, max=MAX_COMPARE)


def remove_from_session(session, product_id: int | None) -> None:
    """Remove one product, or all of them when `product_id` is None."""
    session[SESSION_KEY] = [] if product_id is None else [i for i in session_ids(session) if i != product_id]


@dataclass
class Row:
    """One line of the comparison table: a label and one cell per product."""

    label: str
    cells: list
    differs: bool = False
    kind: str = "text"


@dataclass
class Comparison:
    products: list[Product]
    prices: list[BuyerPrice]
    rows: list[Row] = field(default_factory=list)
    feature_rows: list[Row] = field(default_factory=list)
    has_subsidy: bool = False


def _row(label, cells, kind: str = "text") -> Row:
    return Row(str(label), cells, differs=len({repr(c) for c in cells}) > 1, kind=kind)


def certificate_state(cert, on: date) -> tuple[str, bool]:
    """A certificate's validity as text, and whether it is valid today."""
    valid = cert.status == CertificateStatus.valid and cert.valid_until >= on
    if valid:
        return _("有效期至 %(d)s", d=cert.valid_until.isoformat()), True
    if cert.status != CertificateStatus.valid:
        return _("状态：%(s)s", s=CERTIFICATE_STATUS_TITLES.get(cert.status, cert.status)), False
    return _("已于 %(d)s 过期", d=cert.valid_until.isoformat()), False


_UNKNOWN = _l("—")


def build_comparison(products: list[Product], user=None, district: str | None = None) -> Comparison:
    """Feature-by-feature rows (differences flagged), prices, fees, net of subsidy, certificates, warranty."""
    on = today_shanghai()
    by_id = buyer_prices(products, user, listed_districts(p.id for p in products), district, on)
    prices = [by_id[p.id] for p in products]
    comparison = Comparison(products, prices, has_subsidy=any(p.subsidy_fen is not None for p in prices))
    rows = comparison.rows
    rows.append(_row(_("类型"), [str(DEVICE_TYPE_TITLES.get(p.device_type, _UNKNOWN)) for p in products]))
    rows.append(_row(_("档次"), [str(TIER_TITLES.get(p.tier, _UNKNOWN)) for p in products]))
    rows.append(_row(_("用途"), [str(USAGE_TITLES[p.usage]) if p.usage else str(_UNKNOWN) for p in products]))
    rows.append(_row(_("品牌 / 生产企业"), [f"{p.brand} / {p.manufacturer}" for p in products]))
    rows.append(_row(_("销售安装单位"), [getattr(p.supplier, "legal_name", "") for p in products]))
    rows.append(_row(_("设备价格"), [money(bp.published_fen) for bp in prices]))
    rows.append(_row(_("早鸟价"), [_("%(price)s（截至 %(date)s）", price=money(p.early_price_fen),
                                      date=p.early_price_until.isoformat()) if p.early_price_fen is not None
                                    and p.early_price_until else str(_UNKNOWN) for p in products]))
    rows.append(_row(_("安装费"), [money(bp.install_fen) for bp in prices]))
    rows.append(_row(_("今日合计"), [money(bp.total_fen) for bp in prices], kind="total"))
    if comparison.has_subsidy:
        rows.append(_row(_("您的补贴"), [money(bp.subsidy_fen) for bp in prices]))
        rows.append(_row(_("补贴后应付"), [money(bp.net_fen) for bp in prices], kind="total"))
    rows.append(_row(_("质保"), [ngettext("%(num)d 个月", "%(num)d 个月", p.warranty_months) for p in products]))
    rows.append(_row(_("智能（数据传输）"), [bool(p.smart) for p in products], kind="bool"))
    rows.append(_row(_("执行标准"), [join_list(p.standards or []) or str(_UNKNOWN) for p in products]))
    kinds = list(dict.fromkeys(c.kind for p in products for c in p.certificates))
    for kind in kinds:
        cells = []
        for p in products:
            cert = next((c for c in p.certificates if c.kind == kind), None)
            cells.append(f"{cert.number} · {certificate_state(cert, on)[0]}" if cert else str(_UNKNOWN))
        rows.append(_row(CERTIFICATE_KIND_TITLES.get(kind, _("其他证书")), cells))
    declared = {f for p in products for f in p.features or []}
    for feature in [f for f in FEATURES if f in declared]:
        comparison.feature_rows.append(_row(FEATURE_LABELS.get(feature, feature),
                                            [feature in (p.features or []) for p in products], kind="bool"))
    return comparison
