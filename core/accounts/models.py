"""User accounts and their role grants."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from core.crypto import EncryptedString, blind_index, mask_phone
from core.db import TimestampMixin, db, enum_column
from core.i18n import _l
from core.permissions import Role


class ResidentKind(enum.StrEnum):
    """A household (居民用户) or an organisation (单位用户)."""

    household = "household"
    organisation = "organisation"


class OrganisationKind(enum.StrEnum):
    """Kinds of organisation user named by 附件1 二."""

    restaurant = "restaurant"
    hotel = "hotel"
    mall = "mall"
    school = "school"
    hospital = "hospital"
    other = "other"


RESIDENT_KIND_TITLES = {ResidentKind.household: _l("居民用户（家庭）"), ResidentKind.organisation: _l("单位用户")}
ORGANISATION_KIND_TITLES = {
    OrganisationKind.restaurant: _l("餐饮"),
    OrganisationKind.hotel: _l("酒店"),
    OrganisationKind.mall: _l("商场"),
    OrganisationKind.school: _l("学校"),
    OrganisationKind.hospital: _l("医院"),
    OrganisationKind.other: _l("其他"),
}


def new_session_token() -> str:
    """A fresh random session token (rotating it ends every session and remember-me cookie)."""
    return secrets.token_urlsafe(32)


class User(UserMixin, TimestampMixin, db.Model):
    """A person who logs in: resident, supplier staff, official, regulator, inspector or admin.

    Which company a supplier account works for is the company register's business (suppliers.models).
    """

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("email IS NOT NULL OR phone_index IS NOT NULL", name="has_login"),
        CheckConstraint("(resident_kind = 'organisation') = (organisation_kind IS NOT NULL)",
                        name="organisation_kind_iff_organisation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    #: Mobile number, encrypted at rest; looked up through phone_index.
    phone: Mapped[str | None] = mapped_column(EncryptedString(255))
    #: Keyed HMAC of the mobile number (core.crypto.blind_index), unique.
    phone_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(100))
    locale: Mapped[str | None] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Part of every session and remember-me cookie (get_id); logout, password change and deactivation rotate it.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token, nullable=False)
    resident_kind: Mapped[ResidentKind | None] = enum_column(ResidentKind, "resident_kind", nullable=True)
    organisation_kind: Mapped[OrganisationKind | None] = enum_column(
        OrganisationKind, "organisation_kind", nullable=True
    )
    #: The district a resident lives in (preselects lists and search).
    home_district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    #: Whether the resident's building is taller than 100 m (a household leak alarm is then required, 附件1 二);
    #: None while the resident has not said.
    building_over_100m: Mapped[bool | None] = mapped_column(Boolean)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    home_district = relationship("District", foreign_keys=[home_district_id])

    @property
    def is_organisation(self) -> bool:
        """An organisation user (单位用户): household categories and subsidies never apply."""
        return self.resident_kind == ResidentKind.organisation

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: "<id>:<session token>"."""
        if self.session_token is None:
            self.session_token = new_session_token()
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        """End every session of this account, on every device."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def set_phone(self, phone: str | None) -> None:
        self.phone = phone or None
        self.phone_index = blind_index(phone, purpose="phone") if phone else None

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def roles(self) -> set[Role]:
        return {grant.role for grant in self.grants}

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def district_ids(self, role: Role) -> set[int]:
        """Districts in which this user holds a district-scoped role."""
        return {g.district_id for g in self.grants if g.role == role and g.district_id is not None}

    def is_official_of(self, district_id: int | None) -> bool:
        return district_id is not None and district_id in self.district_ids(Role.district_official)

    def is_inspector_of(self, district_id: int | None) -> bool:
        return district_id is not None and district_id in self.district_ids(Role.inspector)

    def can_manage_users(self) -> bool:
        return self.has_role(Role.admin)

    def can_read_audit(self) -> bool:
        return self.has_role(Role.admin) or self.has_role(Role.regulator)

    @property
    def login_label(self) -> str:
        return self.email or self.masked_phone

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email or self.phone_index}>"


class RoleGrant(db.Model):
    """One role held by a user, scoped to a district where the role requires it."""

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "district_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = enum_column(Role, "role")
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)

    user: Mapped[User] = relationship(back_populates="grants")
    district = relationship("District")
