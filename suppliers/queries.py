"""Reads of the company register: a staff account's company, filtered supplier lists for overseers."""

from __future__ import annotations

from sqlalchemy import or_, select

from core.db import db
from core.districts import District
from core.permissions import Role
from suppliers.models import Supplier, SupplierStaff, SupplierStatus


def staff_supplier_id(user) -> int | None:
    """The id of the company `user` works for, or None (anonymous users and non-staff)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return next((m.supplier_id for m in _memberships(user)), None)


def supplier_of(user) -> Supplier | None:
    """The company `user` works for, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    return next((m.supplier for m in _memberships(user)), None)


def staff_of(supplier_id: int) -> list:
    """The active staff accounts of a company, by id."""
    rows = db.session.scalars(select(SupplierStaff).where(SupplierStaff.supplier_id == supplier_id)
                              .order_by(SupplierStaff.user_id))
    return [m.user for m in rows if m.user.active]


def _memberships(user) -> list[SupplierStaff]:
    return list(db.session.scalars(select(SupplierStaff).where(SupplierStaff.user_id == user.id)))


def scope_to_viewer(query, viewer, supplier_column):
    """Regulators and admins see everything; an official only companies serving one of their districts."""
    if viewer.has_role(Role.regulator) or viewer.has_role(Role.admin):
        return query
    ids = viewer.district_ids(Role.district_official)
    return query.where(supplier_column.in_(
        select(Supplier.id).where(Supplier.districts.any(District.id.in_(ids or [-1])))))


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere; its wildcards are escaped with a backslash."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def suppliers_query(viewer, *, status: str | None = None, district_id: int | None = None, q: str | None = None):
    """Companies the viewer may oversee, filtered."""
    query = scope_to_viewer(select(Supplier), viewer, Supplier.id).order_by(Supplier.legal_name, Supplier.id)
    if status in SupplierStatus.__members__:
        query = query.where(Supplier.status == SupplierStatus(status))
    if district_id:
        query = query.where(Supplier.districts.any(District.id == district_id))
    if q:
        query = query.where(or_(Supplier.legal_name.ilike(like_pattern(q), escape="\\"),
                                Supplier.credit_code.ilike(like_pattern(q), escape="\\")))
    return query
