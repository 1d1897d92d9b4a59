"""Account services: registration, role grants, passwords, preferences. They flush; callers commit."""

from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core import audit
from core.accounts import throttle
from core.accounts.models import OrganisationKind, ResidentKind, RoleGrant, User
from core.crypto import blind_index
from core.db import db, now_utc
from core.errors import DomainError
from core.i18n import N_, _, datetime_local
from core.notifications import notify
from core.permissions import DISTRICT_SCOPED, Role


class LoginThrottled(DomainError):
    """Too many failed attempts for this account: the same answer whether or not the account exists."""

    status_code = 429

    def __init__(self, retry_at: datetime) -> None:
        super().__init__(_("登录失败次数过多，请于 %(time)s 之后再试。", time=datetime_local(retry_at)),
                         code="throttled")
        self.retry_at = retry_at


def find_by_login(identifier: str) -> User | None:
    """Find a user by email or mobile number (through its blind index)."""
    identifier = (identifier or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        return db.session.scalar(select(User).where(User.email == identifier.lower()))
    digits = identifier.replace(" ", "").replace("-", "")
    return db.session.scalar(select(User).where(User.phone_index == blind_index(digits, purpose="phone")))


def authenticate(identifier: str, password: str) -> User | None:
    """Return the active user for these credentials, else None (never says which part was wrong).

    Failures are counted per account (core.accounts.throttle); raises LoginThrottled while locked. The
    caller commits in both cases so that the count holds.
    """
    user = find_by_login(identifier)
    key = throttle.key_for(identifier, user)
    locked = throttle.retry_at(key)
    if locked is not None:
        raise LoginThrottled(locked)
    if user is None or not user.active or not user.check_password(password):
        if user is None:
            # Spend comparable time so that response time does not reveal whether the account exists.
            User(password_hash=_DUMMY_HASH).check_password(password)
        locked = throttle.record_failure(key)
        if locked is not None:
            raise LoginThrottled(locked)
        return None
    throttle.clear(key)
    user.last_login_at = now_utc()
    return user


def load_session_user(session_id: str) -> User | None:
    """The user_loader: "<id>:<token>" from a session or remember-me cookie names an active user whose
    current session token it carries; anything else (an ended session, an old cookie) is anonymous."""
    user_id, _sep, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def end_sessions(user: User, *, actor: User | None = None) -> None:
    """Log the account out everywhere: every session and remember-me cookie stops working."""
    user.rotate_session_token()
    db.session.flush()
    audit.record(actor or user, "user.sessions_ended", user, {})


_DUMMY_HASH = "scrypt:32768:8:1$dummysaltdummys$" + "0" * 128


def _check_unique(email: str | None, phone: str | None) -> None:
    if email and db.session.scalar(select(User.id).where(User.email == email)):
        raise DomainError(_("该邮箱已注册。"), field="email")
    if phone and db.session.scalar(
        select(User.id).where(User.phone_index == blind_index(phone, purpose="phone"))
    ):
        raise DomainError(_("该手机号码已注册。"), field="phone")


def create_user(*, email: str | None, phone: str | None, password: str, display_name: str,
                actor: User | None, roles: list[tuple[Role, int | None]] = (),
                resident_kind: ResidentKind | None = None,
                organisation_kind: OrganisationKind | None = None,
                home_district_id: int | None = None, building_over_100m: bool | None = None,
                locale: str | None = None, password_hash: str | None = None) -> User:
    """Create an account with its role grants; district-scoped roles need a district.

    `password_hash` (demo data only) reuses a hash already computed for `password`, so that seeding dozens of
    demo accounts that share one password does not run scrypt for each."""
    email = email.strip().lower() if email else None
    if not email and not phone:
        raise DomainError(_("请填写邮箱或手机号码。"), field="email")
    _check_unique(email, phone)
    user = User(email=email, display_name=display_name, resident_kind=resident_kind,
                organisation_kind=organisation_kind if resident_kind == ResidentKind.organisation else None,
                home_district_id=home_district_id, building_over_100m=building_over_100m, locale=locale)
    user.set_phone(phone)
    if password_hash is not None:
        user.password_hash = password_hash
    else:
        user.set_password(password)
    db.session.add(user)
    for role, district_id in roles:
        _add_grant(user, role, district_id)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise DomainError(_("该账号已存在。"), field="email") from exc
    audit.record(actor or user, "user.created", user, {
        "email": (None, email), "roles": (None, sorted(f"{r}:{d or ''}" for r, d in roles)),
    })
    return user


def register_resident(*, email: str | None, phone: str | None, password: str, **fields) -> User | None:
    """Self-registration that never tells whether an email or number is already registered.

    A new address gets an account (returned). When the email or the number belongs to an account, nothing
    is created, the holder is told in their inbox, and None is returned: the caller shows the same answer.
    """
    email = email.strip().lower() if email else None
    holders = []
    if email:
        holders.append(db.session.scalar(select(User).where(User.email == email)))
    if phone:
        holders.append(db.session.scalar(
            select(User).where(User.phone_index == blind_index(phone, purpose="phone"))))
    holders = [h for h in holders if h is not None]
    if not holders:
        return create_user(email=email, phone=phone, password=password, actor=None,
                           roles=[(Role.resident, None)], **fields)
    User().set_password(password)  # the same work as a registration, so the time tells nothing either
    notify(holders, N_("有人尝试用您的邮箱或手机号码注册新账号"),
           N_("有人在注册页面填写了您账号的邮箱或手机号码，没有创建新账号。如果是您本人，请直接登录；"
              "如果不是，您无需处理，但建议确认您的密码足够安全。"), link="/login")
    for holder in {h.id: h for h in holders}.values():
        audit.record(None, "user.registration_refused_duplicate", holder, {})
    return None


def _add_grant(user: User, role: Role, district_id: int | None) -> None:
    if role in DISTRICT_SCOPED and district_id is None:
        raise DomainError(_("该角色必须指定区县。"), field="district")
    if role not in DISTRICT_SCOPED:
        district_id = None
    if any(g.role == role and g.district_id == district_id for g in user.grants):
        return
    user.grants.append(RoleGrant(role=role, district_id=district_id))


def grant_role(user: User, role: Role, *, district_id: int | None, actor: User) -> None:
    """Give a user one more role (scoped to a district where needed)."""
    before = sorted(f"{g.role}:{g.district_id or ''}" for g in user.grants)
    _add_grant(user, role, district_id)
    db.session.flush()
    after = sorted(f"{g.role}:{g.district_id or ''}" for g in user.grants)
    audit.record(actor, "user.role_granted", user, {"roles": (before, after)})


def revoke_grant(user: User, grant_id: int, *, actor: User) -> None:
    """Remove one role grant from a user."""
    grant = next((g for g in user.grants if g.id == grant_id), None)
    if grant is None:
        raise DomainError(_("未找到该角色授权。"))
    if user.id == actor.id and grant.role == Role.admin:
        raise DomainError(_("不能撤销自己的管理员角色。"))
    before = sorted(f"{g.role}:{g.district_id or ''}" for g in user.grants)
    user.grants.remove(grant)
    db.session.flush()
    after = sorted(f"{g.role}:{g.district_id or ''}" for g in user.grants)
    audit.record(actor, "user.role_revoked", user, {"roles": (before, after)})


def set_active(user: User, active: bool, *, actor: User) -> None:
    """Enable or disable an account."""
    if user.id == actor.id and not active:
        raise DomainError(_("不能停用自己的账号。"))
    before = user.active
    user.active = active
    if not active:
        user.rotate_session_token()
    db.session.flush()
    audit.record(actor, "user.activation_changed", user, {"active": (before, active)})


def change_password(user: User, *, current: str, new: str) -> None:
    """Change one's own password after checking the current one."""
    if not user.check_password(current):
        raise DomainError(_("当前密码不正确。"), field="current_password")
    user.set_password(new)
    user.rotate_session_token()  # other sessions end; the caller logs this one in again
    db.session.flush()
    audit.record(user, "user.password_changed", user, {})


def update_profile(user: User, *, actor: User, resident_kind: ResidentKind,
                   organisation_kind: OrganisationKind | None, home_district_id: int,
                   building_over_100m: bool | None) -> None:
    """Change a resident's kind (household or organisation), home district and building height (audited)."""
    if resident_kind == ResidentKind.organisation and organisation_kind is None:
        raise DomainError(_("单位用户请选择单位类别。"), field="organisation_kind")
    after = {
        "resident_kind": resident_kind,
        "organisation_kind": organisation_kind if resident_kind == ResidentKind.organisation else None,
        "home_district_id": home_district_id,
        "building_over_100m": building_over_100m,
    }
    changes = {name: (getattr(user, name), value) for name, value in after.items() if getattr(user, name) != value}
    if not changes:
        return
    for name, value in after.items():
        setattr(user, name, value)
    db.session.flush()
    audit.record(actor, "user.profile_changed", user, changes)


def set_locale(user: User, locale: str) -> None:
    """Remember a user's preferred language."""
    before = user.locale
    user.locale = locale
    db.session.flush()
    audit.record(user, "user.locale_changed", user, {"locale": (before, locale)})
