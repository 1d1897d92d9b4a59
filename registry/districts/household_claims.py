"""A household's category claim (SPEC 3.3): the district's household lists of 附件1 四(一), verified by its officials.

The subsidy a viewer sees follows from the claim that applies and the district's policies (registry.districts.subsidy).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import TimestampMixin, db, enum_column
from core.districts import District
from core.i18n import _l
from registry.districts.models import HouseholdCategory


class ClaimStatus(enum.StrEnum):
    """A claim other than `other` needs a district official's verification before a subsidy applies."""

    pending = "pending"
    verified = "verified"
    rejected = "rejected"


CLAIM_STATUS_TITLES = {ClaimStatus.pending: _l("待核验"), ClaimStatus.verified: _l("已核验"),
                       ClaimStatus.rejected: _l("未通过")}


class HouseholdCategoryClaim(TimestampMixin, db.Model):
    """A resident's declared household category in a district (old community, registered poor ...)."""

    __tablename__ = "household_category_claim"
    __table_args__ = (
        CheckConstraint("(category = 'old_community') = (old_community_id IS NOT NULL)",
                        name="community_iff_old_community"),
        CheckConstraint("(status = 'verified') = (verified_at IS NOT NULL)", name="verified_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    category: Mapped[HouseholdCategory] = enum_column(HouseholdCategory, "household_category")
    #: The community on the district's old-community list (old_community claims only).
    old_community_id: Mapped[int | None] = mapped_column(ForeignKey("old_community.id"))
    status: Mapped[ClaimStatus] = enum_column(ClaimStatus, "claim_status", default=ClaimStatus.pending)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user = relationship("User", foreign_keys=[user_id])
    verified_by = relationship("User", foreign_keys=[verified_by_id])
    district: Mapped[District] = relationship()
    old_community = relationship("OldCommunity")

    @property
    def applies(self) -> bool:
        """`other` needs no verification; every other category only once verified."""
        return self.status == ClaimStatus.verified or (
            self.category == HouseholdCategory.other and self.status != ClaimStatus.rejected)
