"""The viewer's household category and the subsidy it brings (used by search/compare through a provider)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.clock import today_shanghai
from core.db import db
from orders.models import HouseholdCategoryClaim
from registry.subsidy import subsidy_for


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
    """(district id, subsidy fen) for `user` buying `product` at `price_fen` (device price plus fee)."""
    category = verified_category(user)
    if category is None:
        return None
    district_id, name = category
    return district_id, subsidy_for(district_id, name, str(product.device_type), price_fen, on or today_shanghai())
