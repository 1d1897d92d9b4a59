"""Placing an order (SPEC 3.3): a listed product, at its published price, for a household or organisation.

`place_order` flushes, never commits. The route commits once, then starts the payment (orders.paying); a
fully subsidised order is paid at once and skips the payment page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from core import audit
from core.accounts.models import User
from core.clock import now_utc, today_shanghai
from core.db import db
from core.errors import DomainError, NotAllowed
from core.forms import format_yuan
from core.i18n import N_, _
from core.permissions import Role
from orders.models import Order, OrderLine, OrderState
from orders.pricing import MAX_QUANTITY, Offer, Quote, quote
from orders.services import record_event, transition
from registry.districts.household_queries import claim_in_force
from registry.districts.models import OldCommunity, Township
from suppliers.models import Supplier, SupplierStatus


@dataclass(frozen=True)
class OrderDetails:
    """What the resident filled in (validated by the form; checked against the district here)."""

    quantity: int
    township_id: int | None
    community_id: int | None
    address: str
    contact_name: str
    contact_phone: str
    building_over_100m: bool
    preferred_date: date | None


def yuan(fen: int) -> str:
    """An amount for a stored timeline message (the same in every language)."""
    return f"¥{format_yuan(fen)}"


def may_order(user) -> bool:
    """Residents (households and organisations) order; staff accounts do not buy for themselves."""
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(Role.resident)


def needs_community(user, district_id: int) -> bool:
    """An old-community household of this district names its community on the order (SPEC 3.3)."""
    claim = claim_in_force(user) if not getattr(user, "is_organisation", True) else None
    return claim is not None and claim.district_id == district_id and str(claim.category) == "old_community"


def supplier_refusal(supplier_id: int) -> str | None:
    """Why no new order may go to this company (suspended or blacklisted), or None."""
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None or not supplier.is_barred():
        return None
    if supplier.status == SupplierStatus.blacklisted:
        return _("%(company)s 已被列入黑名单，暂停销售安装，不能下单。请从清单中选择其他安装单位。",
                 company=supplier.legal_name)
    return _("%(company)s 已被市场监管部门暂停销售安装，不能下单。请从清单中选择其他安装单位。",
             company=supplier.legal_name)


def check_details(user, offer: Offer, details: OrderDetails, today: date) -> None:
    """Refuse details that do not fit the district (DomainError naming the field)."""
    if not 1 <= details.quantity <= MAX_QUANTITY:
        raise DomainError(_("数量应为 1 到 %(max)s。", max=MAX_QUANTITY), field="quantity")
    district_id = offer.district.id
    township = db.session.get(Township, details.township_id) if details.township_id else None
    if township is None or township.district_id != district_id:
        raise DomainError(_("请选择本区县的街道（乡镇）。"), field="township")
    if details.community_id is not None:
        community = db.session.get(OldCommunity, details.community_id)
        if community is None or community.district_id != district_id:
            raise DomainError(_("请从本区县的老旧小区名单中选择。"), field="community")
    elif needs_community(user, district_id):
        raise DomainError(_("您的家庭类别是老旧小区住户，请选择所在的老旧小区。"), field="community")
    if details.preferred_date is not None:
        latest = today + timedelta(days=int(current_app.config["ORDER_MAX_PREFERRED_DAYS"]))
        if details.preferred_date < today:
            raise DomainError(_("希望上门的日期不能早于今天。"), field="preferred_date")
        if details.preferred_date > latest:
            raise DomainError(_("希望上门的日期最多可选 %(days)s 天以内。",
                                days=current_app.config["ORDER_MAX_PREFERRED_DAYS"]), field="preferred_date")


def _lock_household(user) -> None:
    """Serialise one household's orders (the subsidy is taken once): a row lock on PostgreSQL; SQLite
    serialises writers already."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(User.id).where(User.id == user.id).with_for_update())


#: A second identical submission within this time (a double click, a reload) opens the first order instead.
RESUBMIT_WINDOW = timedelta(minutes=10)


def recent_duplicate(user, offer: Offer, details: OrderDetails) -> Order | None:
    """The same household's same order placed moments ago and still unpaid."""
    candidates = db.session.scalars(select(Order).where(
        Order.resident_id == user.id, Order.district_id == offer.district.id,
        Order.state == OrderState.pending_payment, Order.created_at >= now_utc() - RESUBMIT_WINDOW)).all()
    return next((order for order in candidates
                 if order.lines and order.lines[0].product_id == offer.product_id
                 and order.lines[0].quantity == details.quantity and order.address == details.address), None)


def place_order(user, offer: Offer, details: OrderDetails, *, shown_token: str | None = None) -> Order:
    """Create the order at the current list's prices; a fully subsidised order is paid at once.

    `shown_token` is the price token the form was rendered with: when given and no longer the current one
    (the list, the price or the subsidy changed meanwhile), nothing is created and the resident is asked to
    look at the new price (DomainError code `stale_price`)."""
    if not may_order(user):
        raise NotAllowed(_("只有居民和单位用户账号可以下单。"))
    refusal = supplier_refusal(offer.supplier_id)
    if refusal:  # suspended or blacklisted after the offer was read (a sanction between GET and POST)
        raise DomainError(refusal, code="supplier_barred")
    today = today_shanghai()
    check_details(user, offer, details, today)
    _lock_household(user)
    priced: Quote = quote(user, offer, details.quantity, today)
    if shown_token is not None and shown_token != priced.token:
        raise DomainError(_("清单价格或补贴刚刚有变化，订单未提交。请核对下面的新金额后再提交。"),
                          code="stale_price")
    line = OrderLine(product_id=offer.product_id, quantity=details.quantity, unit_price_fen=offer.unit_price_fen,
                     install_fee_fen=offer.install_fee_fen, published_price_fen=offer.published_price_fen,
                     subsidy_fen=priced.subsidy_fen, device_type=offer.device_type, tier=offer.tier,
                     description=offer.description[:300])
    subsidised = priced.subsidy_fen > 0
    order = Order(resident_id=user.id, district_id=offer.district.id, township_id=details.township_id,
                  community_id=details.community_id, supplier_id=offer.supplier_id, list_version_id=offer.version_id,
                  state=OrderState.pending_payment, address=details.address, contact_name=details.contact_name,
                  contact_phone=details.contact_phone, building_over_100m=details.building_over_100m,
                  preferred_date=details.preferred_date, subtotal_fen=priced.subtotal_fen,
                  subsidy_fen=priced.subsidy_fen, amount_fen=priced.amount_fen, paid_fen=0, refunded_fen=0,
                  subsidy_category=priced.subsidy.category if subsidised else None,
                  household_category=priced.subsidy.category or "other",
                  subsidy_policy_id=priced.subsidy.policy_id if subsidised else None, payment_attempts=0,
                  lines=[line])
    db.session.add(order)
    db.session.flush()
    record_event(order, N_("订单已提交：%(product)s × %(quantity)s，应付 %(amount)s"), actor=user,
                 params={"product": line.description, "quantity": line.quantity, "amount": yuan(order.amount_fen)},
                 to_state=OrderState.pending_payment)
    audit.record(user, "order.created", order, {"state": (None, OrderState.pending_payment.value)},
                 extra={"list_version_id": offer.version_id, "product_id": offer.product_id,
                        "quantity": details.quantity, "subtotal_fen": order.subtotal_fen,
                        "subsidy_fen": order.subsidy_fen, "amount_fen": order.amount_fen})
    if order.amount_fen == 0:
        order.paid_fen = 0
        transition(order, OrderState.paid, actor=None, message=N_("补贴已覆盖全部费用，无需付款"),
                   notify_message=N_("订单 %(number)s：%(state)s"))
    db.session.flush()
    return order
