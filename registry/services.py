"""Registry services: they change state, audit and flush; routes commit."""

from __future__ import annotations

from sqlalchemy import select

from core import audit
from core.accounts import services as accounts
from core.accounts.models import User
from core.db import db
from core.errors import DomainError
from core.i18n import _
from core.permissions import Role
from registry import credit_code as credit
from registry.models import Supplier, SupplierStatus


def register_supplier(*, legal_name: str, credit_code: str, email: str | None, phone: str | None,
                      display_name: str, password: str, locale: str | None = None) -> tuple[Supplier, User]:
    """Register a company (status registered) with its first staff account."""
    code = credit.normalise(credit_code)
    if not credit.is_valid(code):
        raise DomainError(_("统一社会信用代码校验位不正确，请核对营业执照。"), field="credit_code")
    if db.session.scalar(select(Supplier.id).where(Supplier.credit_code == code)):
        raise DomainError(_("该统一社会信用代码已注册。如需加入该单位，请联系单位已有账号添加您。"),
                          field="credit_code")
    supplier = Supplier(legal_name=legal_name, credit_code=code, status=SupplierStatus.registered)
    db.session.add(supplier)
    db.session.flush()
    user = accounts.create_user(email=email, phone=phone, password=password, display_name=display_name,
                                actor=None, roles=[(Role.supplier, None)], supplier_id=supplier.id,
                                locale=locale)
    audit.record(user, "supplier.registered", supplier, {
        "legal_name": (None, legal_name), "credit_code": (None, code), "status": (None, supplier.status),
    })
    return supplier, user
