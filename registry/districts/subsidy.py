"""Subsidies of a district's policy (附件1 四(五)): fixed fen, or a percentage with a cap; a viewer's subsidy."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.clock import today_shanghai
from core.db import db
from registry.districts.household_claims import HouseholdCategoryClaim
from registry.districts.models import SubsidyPolicy


def applicable_policy(district_id: int, category: str, device_type: str, on: date) -> SubsidyPolicy | None:
    """The policy in force on `on` for the category and device type (the latest starting one wins)."""
    policies = db.session.scalars(select(SubsidyPolicy).where(
        SubsidyPolicy.district_id == district_id, SubsidyPolicy.category == category,
        SubsidyPolicy.device_type == device_type, SubsidyPolicy.valid_from <= on,
    ).order_by(SubsidyPolicy.valid_from.desc(), SubsidyPolicy.id.desc()))
    return next((p for p in policies if p.applies_on(on)), None)


def subsidy_for(district_id: int, category: str, device_type: str, price_fen: int, on: date) -> int:
    """The subsidy in fen for a price (device price plus installation fee) on a date; 0 when none applies."""
    if price_fen <= 0:
        return 0
    policy = applicable_policy(district_id, str(category), str(device_type), on)
    return policy.amount_for(price_fen) if policy else 0


def is_organisation(user) -> bool:
    """True for an organisation user (单位用户): household subsidies never apply to them."""
    return bool(getattr(user, "is_authenticated", False)) and getattr(user, "resident_kind", None) == "organisation"


def verified_category(user) -> tuple[int, str] | None:
    """(district id, category) of the user's latest claim that applies, or None."""
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "id", None) is None:
        return None
    claims = db.session.scalars(select(HouseholdCategoryClaim).where(HouseholdCategoryClaim.user_id == user.id)
                                .order_by(HouseholdCategoryClaim.created_at.desc(),
                                          HouseholdCategoryClaim.id.desc()))
    claim = next((c for c in claims if c.applies), None)
    return (claim.district_id, str(claim.category)) if claim else None


def viewer_subsidy(user, product, price_fen: int, on: date | None = None) -> tuple[int, int] | None:
    """(district id, subsidy fen) for `user` buying `product` at `price_fen` (device price plus fee).

    None for organisation users and for households without a verified category. The caller checks that the
    product is on the current list of that district (a district subsidises only what it lists).
    """
    if is_organisation(user):
        return None
    category = verified_category(user)
    if category is None:
        return None
    district_id, name = category
    return district_id, subsidy_for(district_id, name, str(product.device_type), price_fen, on or today_shanghai())
