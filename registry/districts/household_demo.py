"""Demo data of the registry: the demo households' category claims (idempotent; after registry.demo)."""

from __future__ import annotations

from sqlalchemy import select

from core.accounts.models import User
from core.db import db, now_utc
from core.demo import district_id
from registry.districts.household_claims import ClaimStatus, HouseholdCategoryClaim
from registry.districts.models import HouseholdCategory, OldCommunity


def _claim(email: str, code: str, category: HouseholdCategory, status: ClaimStatus) -> None:
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or db.session.scalar(select(HouseholdCategoryClaim.id).where(
            HouseholdCategoryClaim.user_id == user.id)):
        return
    community = None
    if category == HouseholdCategory.old_community:
        community = db.session.scalar(select(OldCommunity).where(OldCommunity.district_id == district_id(code))
                                      .order_by(OldCommunity.id).limit(1))
        if community is None:
            return
    official = db.session.scalar(select(User).where(User.email == f"official.{code}@demo.local"))
    verified = status == ClaimStatus.verified
    db.session.add(HouseholdCategoryClaim(
        user_id=user.id, district_id=district_id(code), category=category,
        old_community_id=community.id if community else None, status=status,
        verified_by_id=official.id if verified and official else None, verified_at=now_utc() if verified else None))


def seed() -> None:
    """resident@demo.local: verified old-community household in 渝中区; resident2: a claim still pending."""
    _claim("resident@demo.local", "500103", HouseholdCategory.old_community, ClaimStatus.verified)
    _claim("resident2@demo.local", "500105", HouseholdCategory.low_income, ClaimStatus.pending)
    db.session.flush()
