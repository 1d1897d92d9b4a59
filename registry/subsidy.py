"""Subsidies of a district's policy (附件1 四(五)): fixed fen, or a percentage with a cap."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.db import db
from registry.district_models import SubsidyPolicy


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
