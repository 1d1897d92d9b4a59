"""Subsidies of a district's policy (附件1 四(五)): fixed fen, or a percentage with a cap, for one household.

`order_subsidy` is the one answer to "how much does this user get off one unit of this device type bought in this
district today": market shows it next to prices, orders charges it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from core.db import db
from registry.districts.household_queries import claim_in_force
from registry.districts.models import SubsidyPolicy


@dataclass(frozen=True)
class SubsidyQuote:
    """The household subsidy for one unit: `fen` off, under which category, policy and claim.

    `claim_id` and `category` name the user's claim in force in that district even when no policy pays for the
    device type (`fen` 0, `policy_id` None); all four are empty when no claim applies there.
    """

    fen: int = 0
    category: str | None = None
    policy_id: int | None = None
    claim_id: int | None = None

    @property
    def applies(self) -> bool:
        """The user has a claim in force in the district (the subsidy may still be 0)."""
        return self.claim_id is not None


NO_SUBSIDY = SubsidyQuote()


def applicable_policy(district_id: int, category: str, device_type: str, on: date) -> SubsidyPolicy | None:
    """The policy in force on `on` for the category and device type (the latest starting one wins)."""
    policies = db.session.scalars(select(SubsidyPolicy).where(
        SubsidyPolicy.district_id == district_id, SubsidyPolicy.category == category,
        SubsidyPolicy.device_type == device_type, SubsidyPolicy.valid_from <= on,
    ).order_by(SubsidyPolicy.valid_from.desc(), SubsidyPolicy.id.desc()))
    return next((p for p in policies if p.applies_on(on)), None)


def order_subsidy(user, district_id: int, device_type: str, price_fen: int, on: date) -> SubsidyQuote:
    """The subsidy `user` gets for one unit (device price + installation fee = `price_fen`) bought in `district_id`.

    Nothing for anonymous and organisation users, outside the user's home district, without a claim in force
    there (verified, or `other`, which needs no verification), or without a policy of the district for that
    category and device type on `on`. The caller guarantees that the product is on the district's current list.
    """
    if (user is None or not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None
            or getattr(user, "is_organisation", True) or user.home_district_id != district_id):
        return NO_SUBSIDY
    claim = claim_in_force(user)
    if claim is None or claim.district_id != district_id:
        return NO_SUBSIDY
    category = str(claim.category)
    policy = applicable_policy(district_id, category, str(device_type), on)
    if policy is None or price_fen <= 0:
        return SubsidyQuote(0, category, None, claim.id)
    return SubsidyQuote(policy.amount_for(price_fen), category, policy.id, claim.id)


def list_subsidies(user, district_id: int, products: list[dict], on: date) -> dict[int, tuple[int, int]]:
    """product id → (subsidy fen, net fen) of one unit for `user`, for the products of the district's current list
    (snapshot dicts: price, fee, early price) that the user gets a subsidy on; empty when no claim of the user is
    in force in that district."""
    found: dict[int, tuple[int, int]] = {}
    for product in products:
        price = product.get("price_fen") or 0
        early, until = product.get("early_price_fen"), product.get("early_price_until")
        if early is not None and until and on.isoformat() <= str(until) and early < price:
            price = early
        total = price + (product.get("install_fee_fen") or 0)
        quote = order_subsidy(user, district_id, str(product.get("device_type")), total, on)
        if not quote.applies:
            return {}
        if quote.fen > 0:
            found[product["id"]] = (quote.fen, max(0, total - quote.fen))
    return found
