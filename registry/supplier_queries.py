"""Reads behind the supplier-profile pages: filtered supplier and product lists for regulators and officials."""

from __future__ import annotations

from sqlalchemy import or_, select

from catalog.models import DeviceType, Product, ProductStatus, Tier
from core.districts import District
from core.permissions import Role
from registry.models import Supplier, SupplierStatus


def _scope_to_viewer(query, viewer, supplier_column):
    """Regulators and admins see everything; an official only companies serving one of their districts."""
    if viewer.has_role(Role.regulator) or viewer.has_role(Role.admin):
        return query
    ids = viewer.district_ids(Role.district_official)
    return query.where(supplier_column.in_(
        select(Supplier.id).where(Supplier.districts.any(District.id.in_(ids or [-1])))))


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def suppliers_query(viewer, *, status: str | None = None, district_id: int | None = None, q: str | None = None):
    """Companies the viewer may oversee, filtered."""
    query = _scope_to_viewer(select(Supplier), viewer, Supplier.id).order_by(Supplier.legal_name, Supplier.id)
    if status in SupplierStatus.__members__:
        query = query.where(Supplier.status == SupplierStatus(status))
    if district_id:
        query = query.where(Supplier.districts.any(District.id == district_id))
    if q:
        query = query.where(or_(Supplier.legal_name.ilike(_like(q), escape="\\"),
                                Supplier.credit_code.ilike(_like(q), escape="\\")))
    return query


def products_query(viewer, *, status: str | None = None, district_id: int | None = None,
                   device_type: str | None = None, tier: str | None = None, q: str | None = None):
    """Products of the companies the viewer may oversee, filtered."""
    query = _scope_to_viewer(select(Product).join(Supplier, Product.supplier_id == Supplier.id), viewer,
                             Product.supplier_id).order_by(Supplier.legal_name, Product.device_type,
                                                           Product.tier, Product.id)
    if status in ProductStatus.__members__:
        query = query.where(Product.status == ProductStatus(status))
    if device_type in DeviceType.__members__:
        query = query.where(Product.device_type == DeviceType(device_type))
    if tier in Tier.__members__:
        query = query.where(Product.tier == Tier(tier))
    if district_id:
        query = query.where(Supplier.districts.any(District.id == district_id))
    if q:
        pattern = _like(q)
        query = query.where(or_(Product.model.ilike(pattern, escape="\\"), Product.brand.ilike(pattern, escape="\\"),
                                Supplier.legal_name.ilike(pattern, escape="\\")))
    return query
