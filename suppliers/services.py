"""Company-register services: they change state, audit and flush; routes commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core import audit
from core.accounts import services as accounts
from core.accounts.models import User
from core.db import db
from core.districts import District
from core.errors import DomainError, NotAllowed
from core.i18n import N_, _, join_list
from core.notifications import notify
from core.permissions import Role
from core.uploads import discard_upload
from suppliers import credit_code as credit
from suppliers.models import PROFILE_FIELD_TITLES, StaffRole, Supplier, SupplierStaff, SupplierStatus
from suppliers.signals import supplier_status_changed


def add_membership(supplier: Supplier, user: User, *, role: StaffRole = StaffRole.staff) -> SupplierStaff:
    """Make `user` a staff member of `supplier` (an account belongs to one company at most)."""
    if db.session.get(SupplierStaff, user.id) is not None:
        raise DomainError(_("该账号已属于一家销售安装单位。"))
    membership = SupplierStaff(user=user, role=role)
    supplier.memberships.append(membership)
    db.session.flush()
    return membership


def register_supplier(*, legal_name: str, credit_code: str, email: str | None, phone: str | None,
                      display_name: str, password: str, locale: str | None = None) -> tuple[Supplier, User]:
    """Register a company (status registered) with its first staff account."""
    code = credit.normalise(credit_code)
    if not credit.is_valid(code):
        raise DomainError(credit.problem(code), field="credit_code")
    if db.session.scalar(select(Supplier.id).where(Supplier.credit_code == code)):
        raise DomainError(_("该统一社会信用代码已注册。如需加入该单位，请联系单位已有账号添加您。"),
                          field="credit_code")
    supplier = Supplier(legal_name=legal_name, credit_code=code, status=SupplierStatus.registered)
    db.session.add(supplier)
    db.session.flush()
    user = accounts.create_user(email=email, phone=phone, password=password, display_name=display_name,
                                actor=None, roles=[(Role.supplier, None)], locale=locale)
    add_membership(supplier, user, role=StaffRole.owner)
    audit.record(user, "supplier.registered", supplier, {
        "legal_name": (None, legal_name), "credit_code": (None, code), "status": (None, supplier.status),
    })
    return supplier, user


#: Profile fields a company's staff maintain (all public on a published list except the licence).
PROFILE_FIELDS = ("legal_name", "credit_code", "qualification_name", "qualification_level", "contact_person",
                  "phone", "address", "service_content")


def update_profile(supplier: Supplier, *, actor: User, legal_name: str, credit_code: str,
                   qualification_name: str | None, qualification_level: str | None, contact_person: str | None,
                   phone: str | None, address: str | None, service_content: str | None,
                   district_ids: list[int], licence_file: str | None = None) -> dict:
    """Staff change their own company's profile; every change is audited."""
    if not supplier.can_edit_profile(actor):
        raise NotAllowed()
    code = credit.normalise(credit_code)
    code_changed = code != supplier.credit_code
    if (code_changed or not supplier.credit_code_override) and not credit.is_valid(code):
        raise DomainError(credit.problem(code), field="credit_code")
    if code_changed and db.session.scalar(select(Supplier.id).where(Supplier.credit_code == code)):
        raise DomainError(_("该统一社会信用代码已被其他单位使用。"), field="credit_code")
    values = {"legal_name": legal_name, "credit_code": code, "qualification_name": qualification_name or None,
              "qualification_level": qualification_level or None, "contact_person": contact_person or None,
              "phone": phone or None, "address": address or None, "service_content": service_content or None}
    changes = {}
    for name, new in values.items():
        if getattr(supplier, name) != new:
            changes[name] = (getattr(supplier, name), new)
            setattr(supplier, name, new)
    if code_changed:
        supplier.credit_code_override = False
    districts = list(db.session.scalars(select(District).where(District.id.in_(district_ids or []))
                                        .order_by(District.code)))
    old_codes = sorted(d.code for d in supplier.districts)
    new_codes = sorted(d.code for d in districts)
    if old_codes != new_codes:
        changes["districts"] = (old_codes, new_codes)
        supplier.districts = districts
    if licence_file and licence_file != supplier.licence_file:
        changes["licence_file"] = (supplier.licence_file, licence_file)
        discard_upload(supplier.licence_file)
        supplier.licence_file = licence_file
    if changes:
        db.session.flush()
        audit.record(actor, "supplier.profile_updated", supplier, changes)
    return changes


def override_credit_code(supplier: Supplier, *, actor: User, credit_code: str, reason: str) -> None:
    """An admin accepts a legal early code that fails the GB 32100 check digit."""
    if not supplier.can_override_credit_code(actor):
        raise NotAllowed()
    code = credit.normalise(credit_code)
    if len(code) != 18:
        raise DomainError(_("统一社会信用代码应为 18 位。"), field="credit_code")
    if not (reason or "").strip():
        raise DomainError(_("请填写变更原因。"), field="reason")
    if code != supplier.credit_code and db.session.scalar(select(Supplier.id).where(Supplier.credit_code == code)):
        raise DomainError(_("该统一社会信用代码已被其他单位使用。"), field="credit_code")
    before = (supplier.credit_code, supplier.credit_code_override)
    supplier.credit_code, supplier.credit_code_override = code, True
    db.session.flush()
    audit.record(actor, "supplier.credit_code_override", supplier, {
        "credit_code": (before[0], code), "credit_code_override": (before[1], True)}, reason=reason.strip())


def add_staff(supplier: Supplier, *, actor: User, display_name: str, email: str | None, phone: str | None,
              password: str) -> User:
    """A staff member adds a colleague account (with a temporary password) to their own company."""
    if not supplier.can_edit_profile(actor):
        raise NotAllowed()
    user = accounts.create_user(email=email, phone=phone, password=password, display_name=display_name,
                                actor=actor, roles=[(Role.supplier, None)])
    add_membership(supplier, user, role=StaffRole.staff)
    audit.record(actor, "supplier.staff_added", supplier, {"staff": (None, user.login_label)})
    notify([user], N_("您已被添加为 %(company)s 的员工账号"),
           N_("请登录后在“我的账号”中修改临时密码。"), params={"company": supplier.legal_name}, link="/account")
    return user


def verify_supplier(supplier: Supplier, *, actor: User) -> None:
    """A regulator or an official of a served district verifies a registered company; its staff are told."""
    if not supplier.can_verify(actor):
        raise NotAllowed(_("只有市场监管部门或该单位服务区县的经济信息部门可以核验。"))
    missing = supplier.missing_public_fields()
    if missing:
        raise DomainError(_("单位资料不完整，暂不能核验：%(fields)s",
                            fields=join_list(str(PROFILE_FIELD_TITLES.get(m, m)) for m in missing)))
    before = supplier.status
    supplier.status = SupplierStatus.verified
    db.session.flush()
    audit.record(actor, "supplier.verified", supplier, {"status": (before, supplier.status)})
    notify([u for u in supplier.staff if u.active], N_("%(company)s 已通过核验"),
           N_("贵单位资料已核验，可以参加区县公开征集。"), params={"company": supplier.legal_name},
           link="/supplier")


def set_status(supplier: Supplier, status: SupplierStatus, actor: User | None, reason: str, *,
               blacklisted_until: date | None = None) -> bool:
    """Suspend, blacklist or reinstate a company (a regulator, an admin or the system); audited.

    A blacklisting records the last day of the blacklist (`blacklisted_until`); any other status clears it.
    Sends `supplier_status_changed` after the flush (market takes a barred company's products out of search at
    once). Returns False when nothing changed.
    """
    if actor is not None and not (actor.has_role(Role.regulator) or actor.has_role(Role.admin)):
        raise NotAllowed(_("只有市场监管部门可以暂停、列入黑名单或恢复销售安装单位。"))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("请填写原因。"), field="reason")
    status = SupplierStatus(status)
    if status == SupplierStatus.blacklisted and blacklisted_until is None:
        raise DomainError(_("列入黑名单须写明截止日期。"), field="until")
    until = blacklisted_until if status == SupplierStatus.blacklisted else None
    before = SupplierStatus(supplier.status)
    if before == status and supplier.blacklisted_until == until:
        return False
    changes = {}
    if before != status:
        changes["status"] = (before, status)
    if supplier.blacklisted_until != until:
        changes["blacklisted_until"] = (supplier.blacklisted_until, until)
    supplier.status, supplier.blacklisted_until = status, until
    db.session.flush()
    audit.record(actor, "supplier.status_changed", supplier, changes, reason=reason)
    supplier_status_changed.send(supplier, before=before, after=status)
    return True
