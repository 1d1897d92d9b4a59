"""District administration data: townships, old communities, targets, subsidy policies (SPEC 3.1)."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import DeviceType
from core.db import TimestampMixin, db, enum_column
from core.districts import District
from core.i18n import _l


class HouseholdCategory(enum.StrEnum):
    """Household categories of 附件1 四(五) (priority households get subsidies)."""

    old_community = "old_community"
    registered_poor = "registered_poor"
    low_income = "low_income"
    other = "other"


HOUSEHOLD_CATEGORY_TITLES = {
    HouseholdCategory.old_community: _l("老旧小区居民"),
    HouseholdCategory.registered_poor: _l("建档贫困户"),
    HouseholdCategory.low_income: _l("城镇低保户"),
    HouseholdCategory.other: _l("其他用户"),
}


class TownshipKind(enum.StrEnum):
    """街道 / 镇 / 乡."""

    street = "street"
    town = "town"
    township = "township"


TOWNSHIP_KIND_TITLES = {TownshipKind.street: _l("街道"), TownshipKind.town: _l("镇"),
                        TownshipKind.township: _l("乡")}


class SubsidyKind(enum.StrEnum):
    """A fixed amount, or a percentage of the price with a cap."""

    fixed = "fixed"
    percentage = "percentage"


SUBSIDY_KIND_TITLES = {SubsidyKind.fixed: _l("定额补贴"), SubsidyKind.percentage: _l("按比例补贴（封顶）")}


class Township(TimestampMixin, db.Model):
    """A township or street (乡镇/街道) of a district, used for statistics and targets."""

    __tablename__ = "township"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[TownshipKind] = enum_column(TownshipKind, "township_kind", default=TownshipKind.street)

    district: Mapped[District] = relationship()

    def __repr__(self) -> str:
        return f"<Township {self.id} {self.name}>"


class OldCommunity(TimestampMixin, db.Model):
    """An old residential community (老旧小区) whose households have priority."""

    __tablename__ = "old_community"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300))

    district: Mapped[District] = relationship()
    township: Mapped[Township | None] = relationship()


class Target(TimestampMixin, db.Model):
    """How many users of a category in a township must be covered with a device type."""

    __tablename__ = "target"
    __table_args__ = (
        UniqueConstraint("township_id", "category", "device_type"),
        CheckConstraint("count >= 0", name="count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id", ondelete="CASCADE"), index=True)
    category: Mapped[HouseholdCategory] = enum_column(HouseholdCategory, "household_category")
    device_type: Mapped[DeviceType] = enum_column(DeviceType, "device_type")
    count: Mapped[int] = mapped_column(Integer)

    township: Mapped[Township] = relationship()


class SubsidyPolicy(TimestampMixin, db.Model):
    """A district's subsidy for a household category and device type, valid between dates."""

    __tablename__ = "subsidy_policy"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'fixed' AND amount_fen IS NOT NULL AND amount_fen >= 0 AND percent IS NULL) OR "
            "(kind = 'percentage' AND percent IS NOT NULL AND percent BETWEEN 1 AND 100 "
            "AND cap_fen IS NOT NULL AND cap_fen >= 0 AND amount_fen IS NULL)",
            name="kind_fields"),
        CheckConstraint("valid_until IS NULL OR valid_from <= valid_until", name="validity_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    category: Mapped[HouseholdCategory] = enum_column(HouseholdCategory, "household_category")
    device_type: Mapped[DeviceType] = enum_column(DeviceType, "device_type")
    kind: Mapped[SubsidyKind] = enum_column(SubsidyKind, "subsidy_kind")
    #: Fixed subsidy in fen (kind fixed).
    amount_fen: Mapped[int | None] = mapped_column(Integer)
    #: Share of the device price plus installation fee, in whole percent (kind percentage).
    percent: Mapped[int | None] = mapped_column(Integer)
    #: Upper limit in fen of a percentage subsidy.
    cap_fen: Mapped[int | None] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)

    district: Mapped[District] = relationship()

    def applies_on(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_until is None or on <= self.valid_until)

    def amount_for(self, price_fen: int) -> int:
        """The subsidy in fen for a price (never more than the price)."""
        if self.kind == SubsidyKind.fixed:
            value = self.amount_fen or 0
        else:
            value = min(price_fen * (self.percent or 0) // 100, self.cap_fen or 0)
        return max(0, min(value, price_fen))
