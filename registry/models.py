"""Registry reference data: districts and supplier companies (SPEC 3.1)."""

from __future__ import annotations

import enum

from sqlalchemy import Boolean, Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import TimestampMixin, db, enum_column
from core.districts import DISTRICT_KIND_TITLES, District, DistrictKind  # noqa: F401 - re-exported
from core.i18n import _l


class SupplierStatus(enum.StrEnum):
    """Lifecycle of a supplier company."""

    registered = "registered"
    verified = "verified"
    suspended = "suspended"
    blacklisted = "blacklisted"


SUPPLIER_STATUS_TITLES = {
    SupplierStatus.registered: _l("已注册（待核验）"),
    SupplierStatus.verified: _l("已核验"),
    SupplierStatus.suspended: _l("已暂停"),
    SupplierStatus.blacklisted: _l("已列入黑名单"),
}

supplier_district = Table(
    "supplier_district",
    db.metadata,
    Column("supplier_id", ForeignKey("supplier.id", ondelete="CASCADE"), primary_key=True),
    Column("district_id", ForeignKey("district.id", ondelete="CASCADE"), primary_key=True),
)


class Supplier(TimestampMixin, db.Model):
    """A seller/installer company (销售安装单位)."""

    __tablename__ = "supplier"

    id: Mapped[int] = mapped_column(primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(200))
    #: 统一社会信用代码, GB 32100-2015 (18 characters).
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    #: Set when an admin accepted a legal early code that fails the check digit.
    credit_code_override: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    qualification_name: Mapped[str | None] = mapped_column(String(200))
    qualification_level: Mapped[str | None] = mapped_column(String(100))
    contact_person: Mapped[str | None] = mapped_column(String(100))
    #: Company service phone: public on published lists.
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    service_content: Mapped[str | None] = mapped_column(Text)
    #: Stored upload name of the business licence scan (core.uploads).
    licence_file: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[SupplierStatus] = enum_column(
        SupplierStatus, "supplier_status", default=SupplierStatus.registered
    )

    staff = relationship("User", back_populates="supplier", foreign_keys="User.supplier_id")
    districts: Mapped[list[District]] = relationship(secondary=supplier_district, lazy="selectin")

    def __repr__(self) -> str:
        return f"<Supplier {self.id} {self.legal_name}>"
