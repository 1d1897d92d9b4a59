"""The company register: supplier companies, their staff, status and the districts they serve (SPEC 3.1)."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Boolean, Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.accounts.models import User
from core.db import TimestampMixin, db, enum_column
from core.districts import District
from core.i18n import _l
from core.permissions import Role

#: Who oversees the company register: regulators and admins everywhere, officials for districts a company serves.
OVERSIGHT_ROLES = (Role.regulator, Role.admin, Role.district_official)


class SupplierStatus(enum.StrEnum):
    """Lifecycle of a supplier company."""

    registered = "registered"
    verified = "verified"
    suspended = "suspended"
    blacklisted = "blacklisted"


#: Statuses under which a company may not sell, apply to solicitations or be listed.
BARRED = frozenset({SupplierStatus.suspended, SupplierStatus.blacklisted})


class StaffRole(enum.StrEnum):
    """A staff account's place in its company: the registering owner or a colleague."""

    owner = "owner"
    staff = "staff"


SUPPLIER_STATUS_TITLES = {
    SupplierStatus.registered: _l("已注册（待核验）"),
    SupplierStatus.verified: _l("已核验"),
    SupplierStatus.suspended: _l("已暂停"),
    SupplierStatus.blacklisted: _l("已列入黑名单"),
}

#: Labels of the profile fields (form labels, "missing field" messages).
PROFILE_FIELD_TITLES = {
    "legal_name": _l("单位名称"),
    "credit_code": _l("统一社会信用代码"),
    "qualification_name": _l("资质名称"),
    "qualification_level": _l("资质等级"),
    "contact_person": _l("联系人"),
    "phone": _l("联系电话"),
    "address": _l("地址"),
    "service_content": _l("服务内容"),
    "districts": _l("服务区县"),
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
    #: A blacklisted company may not apply to solicitations up to and including this day (SPEC 3.6).
    blacklisted_until: Mapped[date | None] = mapped_column(Date)

    memberships: Mapped[list[SupplierStaff]] = relationship(
        back_populates="supplier", cascade="all, delete-orphan", lazy="selectin", order_by="SupplierStaff.user_id"
    )
    districts: Mapped[list[District]] = relationship(secondary=supplier_district, lazy="selectin")

    def __repr__(self) -> str:
        return f"<Supplier {self.id} {self.legal_name}>"

    @property
    def staff(self) -> list[User]:
        """The company's staff accounts, in the order they joined."""
        return [m.user for m in self.memberships]

    def has_staff(self, user) -> bool:
        """True for a logged-in supplier account that belongs to this company."""
        return (getattr(user, "is_authenticated", False) and user.has_role(Role.supplier)
                and any(m.user_id == user.id for m in self.memberships))

    # -- permissions and status (supplier profile) --

    @property
    def is_verified(self) -> bool:
        return self.status == SupplierStatus.verified

    def is_barred(self) -> bool:
        """Suspended or blacklisted: may not apply, sell or be listed."""
        return SupplierStatus(self.status) in BARRED

    def can_sell(self) -> bool:
        """A suspended or blacklisted company may not add, change or submit products."""
        return not self.is_barred()

    def can_apply(self) -> bool:
        """Only a verified company in good standing may apply to a solicitation."""
        return self.status == SupplierStatus.verified

    def can_be_listed(self) -> bool:
        return self.status == SupplierStatus.verified

    def missing_public_fields(self) -> list[str]:
        """Names of the public fields a list needs (SPEC 4.3) that are still empty."""
        names = ("legal_name", "qualification_name", "qualification_level", "contact_person", "phone", "address",
                 "service_content")
        missing = [name for name in names if not (getattr(self, name) or "").strip()]
        if not self.districts:
            missing.append("districts")
        return missing

    def can_edit_profile(self, user) -> bool:
        """Only the company's own staff change its profile and staff (never another company's)."""
        return self.has_staff(user)

    def serves(self, district_id: int | None) -> bool:
        return any(d.id == district_id for d in self.districts)

    def is_official_for(self, user) -> bool:
        return any(user.is_official_of(d.id) for d in self.districts)

    def can_view_documents(self, user) -> bool:
        """Staff, regulators, admins and officials of a district it serves see the full profile and files."""
        if not getattr(user, "is_authenticated", False):
            return False
        return (self.has_staff(user) or user.has_role(Role.regulator) or user.has_role(Role.admin)
                or self.is_official_for(user))

    def can_verify(self, user) -> bool:
        """A regulator or an official of a district it serves verifies a registered company."""
        if self.status != SupplierStatus.registered or not getattr(user, "is_authenticated", False):
            return False
        return user.has_role(Role.regulator) or self.is_official_for(user)

    def can_override_credit_code(self, user) -> bool:
        return getattr(user, "is_authenticated", False) and user.has_role(Role.admin)


class SupplierStaff(db.Model):
    """A staff account's membership of its company (one company per account)."""

    __tablename__ = "supplier_staff"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="CASCADE"), index=True)
    role: Mapped[StaffRole] = enum_column(StaffRole, "staff_role", default=StaffRole.staff)

    supplier: Mapped[Supplier] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<SupplierStaff {self.user_id} of {self.supplier_id} ({self.role})>"


class SupplierComplaintMonth(db.Model):
    """Complaint figures per company and Asia/Shanghai month, kept by the complaints package (which calls down):
    what the company's public page shows, as the national complaint-disclosure platform does."""

    __tablename__ = "supplier_complaint_month"

    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="CASCADE"), primary_key=True)
    #: "YYYY-MM".
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    received: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    resolved: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
