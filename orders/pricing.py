"""What an order costs, taken only from the district's current published list (SPEC 3.3, 附件1 四(二) 收费价格).

Nothing a browser posts takes part in a price: the offer comes from the current list version's frozen
snapshot (price, installation fee, early-application price), the subsidy from the district's policy and the
household's verified category (registry.districts.subsidy.order_subsidy). All amounts are integer fen.

One unit per device type per household is subsidised: a second valve on another order, or a second unit on
the same order, is charged in full (the subsidy is for equipping a household, not for stock).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from catalog.models import DeviceType, Tier
from core.db import db
from core.districts import District
from orders.models import Order, OrderLine, OrderState
from registry.districts.subsidy import SubsidyQuote, order_subsidy
from registry.lists import queries as list_queries
from suppliers.models import Supplier

#: The most units of one product on one order (OrderLine.quantity's CHECK).
MAX_QUANTITY = 20
#: Orders in these states hold their household's subsidy (a canceled or refunded order gives it back).
HOLDS_SUBSIDY = frozenset(set(OrderState) - {OrderState.canceled, OrderState.refunded})


@dataclass(frozen=True)
class Offer:
    """A product on a district's current list, at the price and fee frozen when the list was published."""

    district: District
    version_id: int
    version_number: int
    supplier_id: int
    supplier_name: str
    product: dict
    published_price_fen: int
    unit_price_fen: int
    install_fee_fen: int
    early_price_until: date | None

    @property
    def product_id(self) -> int:
        return self.product["id"]

    @property
    def device_type(self) -> DeviceType:
        return DeviceType(self.product["device_type"])

    @property
    def tier(self) -> Tier:
        return Tier(self.product["tier"])

    @property
    def early(self) -> bool:
        """The early-application price applies today."""
        return self.unit_price_fen < self.published_price_fen

    @property
    def unit_total_fen(self) -> int:
        return self.unit_price_fen + self.install_fee_fen

    @property
    def description(self) -> str:
        return f"{self.product.get('brand', '')} {self.product.get('model', '')}".strip()


def current_offer(district: District, product_id: int, on: date) -> Offer | None:
    """The product as the district's current published list offers it on `on`, or None when it is not on that
    list (never published, delisted, or its supplier suspended since)."""
    version = list_queries.current_version(district)
    if version is None:
        return None
    for supplier in version.suppliers:
        for product in supplier.get("products", []):
            if product.get("id") != product_id:
                continue
            company = db.session.get(Supplier, supplier.get("id"))
            if company is None or company.is_barred():
                return None
            price = int(product["price_fen"])
            early, until = product.get("early_price_fen"), product.get("early_price_until")
            until_day = date.fromisoformat(until) if until else None
            unit = price
            if early is not None and until_day is not None and on <= until_day and 0 <= int(early) < price:
                unit = int(early)
            return Offer(district=district, version_id=version.id, version_number=version.number,
                         supplier_id=company.id, supplier_name=supplier.get("name") or company.legal_name,
                         product=product, published_price_fen=price, unit_price_fen=unit,
                         install_fee_fen=int(product.get("install_fee_fen") or 0), early_price_until=until_day)
    return None


def subsidy_holder(user, district_id: int, device_type: DeviceType) -> Order | None:
    """The household's live order that already took the subsidy for this device type, if any."""
    return db.session.scalar(
        select(Order).join(OrderLine).where(
            Order.resident_id == user.id, Order.district_id == district_id, Order.subsidy_fen > 0,
            Order.state.in_(HOLDS_SUBSIDY), OrderLine.device_type == device_type,
        ).order_by(Order.id).limit(1))


@dataclass(frozen=True)
class Quote:
    """The price of `quantity` units of an offer for one user: subtotal − subsidy = amount payable."""

    offer: Offer
    quantity: int
    subsidy: SubsidyQuote
    #: The household's order that already holds the subsidy for this device type (so none is given here).
    subsidy_used_by: Order | None

    @property
    def unit_subsidy_fen(self) -> int:
        return 0 if self.subsidy_used_by is not None else min(self.subsidy.fen, self.offer.unit_total_fen)

    @property
    def subtotal_fen(self) -> int:
        return self.quantity * self.offer.unit_total_fen

    @property
    def subsidy_fen(self) -> int:
        """One unit is subsidised, never more than it costs."""
        return self.unit_subsidy_fen

    @property
    def amount_fen(self) -> int:
        return self.subtotal_fen - self.subsidy_fen

    @property
    def token(self) -> str:
        """Names the prices this quote was shown with; a form posted with another token is stale."""
        return price_token(self.offer, self.unit_subsidy_fen, self.subsidy.policy_id)


def quote(user, offer: Offer, quantity: int, on: date) -> Quote:
    """The price of `quantity` units for `user` (a household gets its district's subsidy on one unit)."""
    subsidy = order_subsidy(user, offer.district.id, str(offer.device_type), offer.unit_total_fen, on)
    used_by = None
    if subsidy.fen > 0:
        used_by = subsidy_holder(user, offer.district.id, offer.device_type)
    return Quote(offer=offer, quantity=quantity, subsidy=subsidy, subsidy_used_by=used_by)


def price_token(offer: Offer, unit_subsidy_fen: int, policy_id: int | None) -> str:
    """A keyed digest of the list version, product, prices and subsidy (not a secret price: a staleness check)."""
    text = (f"{offer.version_id}|{offer.product_id}|{offer.unit_price_fen}|{offer.install_fee_fen}|"
            f"{unit_subsidy_fen}|{policy_id or ''}")
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]
