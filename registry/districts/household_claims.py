"""A household's category claim (SPEC 3.3): the district's household lists of 附件1 四(一), verified by its officials.

The subsidy a viewer sees follows from the claim that applies and the district's policies (registry.districts.subsidy).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.crypto import EncryptedString
from core.db import TimestampMixin, db, enum_column
from core.districts import District
from core.i18n import _l
from core.permissions import Role
from registry.districts.models import HouseholdCategory

#: Categories proven by a certificate (建档立卡 / 低保证) whose number the official checks.
CERTIFICATE_CATEGORIES = frozenset({HouseholdCategory.registered_poor, HouseholdCategory.low_income})


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
        CheckConstraint("(category IN ('registered_poor','low_income')) = (certificate_number IS NOT NULL)",
                        name="certificate_iff_certificate_category"),
        CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name="decided_iff_not_pending"),
        CheckConstraint("status <> 'rejected' OR (decision_reason IS NOT NULL AND decision_reason <> '')",
                        name="rejected_has_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    category: Mapped[HouseholdCategory] = enum_column(HouseholdCategory, "household_category")
    #: The community on the district's old-community list (old_community claims only).
    old_community_id: Mapped[int | None] = mapped_column(ForeignKey("old_community.id"))
    #: The number of the 建档立卡 / 低保 certificate (registered_poor and low_income only), encrypted.
    certificate_number: Mapped[str | None] = mapped_column(EncryptedString(400))
    #: The household's name and address as on the district's household lists, encrypted (personal data).
    full_name: Mapped[str] = mapped_column(EncryptedString(400))
    address: Mapped[str] = mapped_column(EncryptedString(1000))
    status: Mapped[ClaimStatus] = enum_column(ClaimStatus, "claim_status", default=ClaimStatus.pending)
    #: The official who verified or rejected the claim, when, and why (required for a rejection).
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)

    user = relationship("User", foreign_keys=[user_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    district: Mapped[District] = relationship()
    old_community = relationship("OldCommunity")

    @property
    def needs_verification(self) -> bool:
        """Every category but `other` is verified by a district official."""
        return self.category != HouseholdCategory.other

    @property
    def awaiting_decision(self) -> bool:
        """A pending claim that an official still has to verify or reject."""
        return self.status == ClaimStatus.pending and self.needs_verification

    @property
    def applies(self) -> bool:
        """`other` needs no verification; every other category only once verified."""
        return self.status == ClaimStatus.verified or (
            self.category == HouseholdCategory.other and self.status != ClaimStatus.rejected)

    def can_read(self, user) -> bool:
        """The claimant, the officials of its district, and regulators (read-only) may see it."""
        if not getattr(user, "is_authenticated", False):
            return False
        return user.id == self.user_id or user.is_official_of(self.district_id) or user.has_role(Role.regulator)

    def can_decide(self, user) -> bool:
        """Only an official of the claim's district verifies or rejects it (never their own claim)."""
        return (getattr(user, "is_authenticated", False) and user.is_official_of(self.district_id)
                and user.id != self.user_id)
