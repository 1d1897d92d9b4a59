"""Demo data for the core: the 41 districts and one account per role (idempotent)."""

from __future__ import annotations

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from core.accounts import services
from core.accounts.models import OrganisationKind, ResidentKind, User
from core.db import db
from core.districts import District, load_districts
from core.permissions import Role

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - documented demo password, refused in production


def district_id(code: str) -> int:
    """The id of a district by its code."""
    return db.session.scalar(select(District.id).where(District.code == code))


def ensure_user(email: str, display_name: str, roles: list[tuple[Role, str | None]], **fields) -> User:
    """Create the demo account unless it exists; grants take district codes."""
    user = db.session.scalar(select(User).where(User.email == email))
    if user is not None:
        return user
    grants = [(role, district_id(code) if code else None) for role, code in roles]
    return services.create_user(email=email, phone=fields.pop("phone", None), password=DEMO_PASSWORD,
                                display_name=display_name, actor=None, roles=grants, password_hash=_demo_hash(),
                                **fields)


_DEMO_HASH: list[str] = []


def _demo_hash() -> str:
    """One scrypt hash of the demo password per process, shared by the demo accounts (demo data only)."""
    if not _DEMO_HASH:
        _DEMO_HASH.append(generate_password_hash(DEMO_PASSWORD, method="scrypt"))
    return _DEMO_HASH[0]


def seed() -> None:
    """Districts and the role accounts of SPEC section 7 (suppliers come with their companies)."""
    load_districts()
    ensure_user("admin@demo.local", "平台管理员", [(Role.admin, None)])
    ensure_user("regulator@demo.local", "市场监管局 王监管", [(Role.regulator, None)])
    ensure_user("official.500103@demo.local", "渝中区经济信息委 李主任", [(Role.district_official, "500103")])
    ensure_user("inspector.500103@demo.local", "重庆燃气 渝中安检员 赵师傅", [(Role.inspector, "500103")])
    household = {"resident_kind": ResidentKind.household}
    ensure_user("resident@demo.local", "张女士", [(Role.resident, None)], phone="13800138000", **household,
                home_district_id=district_id("500103"), building_over_100m=False)
    ensure_user("resident2@demo.local", "陈先生", [(Role.resident, None)], phone="13900139000", **household,
                home_district_id=district_id("500105"), building_over_100m=True)
    # One household in every category and state (registry.districts.household_demo declares their claims).
    ensure_user("resident.poor@demo.local", "刘大爷", [(Role.resident, None)], **household,
                home_district_id=district_id("500103"), building_over_100m=False)
    ensure_user("resident.lowincome@demo.local", "周阿姨", [(Role.resident, None)], **household,
                home_district_id=district_id("500103"), building_over_100m=True)
    ensure_user("resident.rejected@demo.local", "吴先生", [(Role.resident, None)], **household,
                home_district_id=district_id("500103"), building_over_100m=False)
    ensure_user("org@demo.local", "山城老火锅（解放碑店）", [(Role.resident, None)],
                resident_kind=ResidentKind.organisation, organisation_kind=OrganisationKind.restaurant,
                home_district_id=district_id("500103"), building_over_100m=False)


def has_accounts() -> bool:
    """True once any account exists (make run loads demo data only into an empty database)."""
    return db.session.scalar(select(User.id).limit(1)) is not None
