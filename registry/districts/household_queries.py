"""Reads of household category claims: a resident's current claim, the claim in force, the officials' queue."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from core.db import db
from core.permissions import Role
from registry.districts.household_claims import ClaimStatus, HouseholdCategoryClaim
from registry.districts.models import HouseholdCategory, OldCommunity

_NEWEST = (HouseholdCategoryClaim.created_at.desc(), HouseholdCategoryClaim.id.desc())


def claims_of(user) -> list[HouseholdCategoryClaim]:
    """A user's claims, newest first."""
    if getattr(user, "id", None) is None:
        return []
    return list(db.session.scalars(select(HouseholdCategoryClaim)
                                   .where(HouseholdCategoryClaim.user_id == user.id).order_by(*_NEWEST)))


def latest_claim(user) -> HouseholdCategoryClaim | None:
    """The user's latest declaration, whatever its status."""
    return next(iter(claims_of(user)), None)


def pending_claim(user) -> HouseholdCategoryClaim | None:
    """The declaration still awaiting an official's decision (at most one: a new one replaces it)."""
    return next((c for c in claims_of(user) if c.awaiting_decision), None)


def claim_in_force(user) -> HouseholdCategoryClaim | None:
    """The claim that decides the user's category: the latest settled one, when it applies.

    Settled: verified, rejected, or `other` (which needs no verification). A claim awaiting a decision changes
    nothing, so a verified claim stays in force until a newer one is decided; a rejection ends it.
    """
    settled = next((c for c in claims_of(user) if not c.awaiting_decision), None)
    return settled if settled is not None and settled.applies else None


def communities_of(district_id: int) -> list[OldCommunity]:
    """The district's old-community list, by name."""
    return list(db.session.scalars(select(OldCommunity).where(OldCommunity.district_id == district_id)
                                   .order_by(OldCommunity.name, OldCommunity.id)))


def queue_query(viewer, *, status: str | None, category: str | None, district_id: int | None) -> Select:
    """Claims that need (or needed) a decision, visible to `viewer`: an official's districts, every district
    for a regulator; filtered; newest first (pending ones first when no status is chosen)."""
    query = select(HouseholdCategoryClaim).where(HouseholdCategoryClaim.category != HouseholdCategory.other)
    if not viewer.has_role(Role.regulator):
        served = viewer.district_ids(Role.district_official)
        query = query.where(HouseholdCategoryClaim.district_id.in_(served) if served else false())
    if district_id is not None:
        query = query.where(HouseholdCategoryClaim.district_id == district_id)
    if status:
        query = query.where(HouseholdCategoryClaim.status == status)
    if category:
        query = query.where(HouseholdCategoryClaim.category == category)
    pending_first = (HouseholdCategoryClaim.status != ClaimStatus.pending)
    return query.order_by(pending_first, *_NEWEST)
