"""Catalog reads: a company's products and certificates, certificates about to expire, product oversight."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from catalog.models import Certificate, CertificateStatus, DeviceType, Product, ProductStatus, Tier
from core.db import db
from core.districts import District
from suppliers.models import Supplier
from suppliers.queries import like_pattern, scope_to_viewer


def get_product_or_404(product_id: int) -> Product:
    product = db.session.get(Product, product_id)
    if product is None:
        abort(404)
    return product


def get_certificate_or_404(certificate_id: int) -> Certificate:
    cert = db.session.get(Certificate, certificate_id)
    if cert is None:
        abort(404)
    return cert


def supplier_products(supplier_id: int) -> list[Product]:
    """A company's products by device type, usage and model, with their certificates."""
    return list(db.session.scalars(
        select(Product).where(Product.supplier_id == supplier_id).options(selectinload(Product.certificates))
        .order_by(Product.device_type, Product.usage, Product.model, Product.id)))


def expiring_certificates(supplier_id: int, today: date, days: int = 60) -> list[Certificate]:
    """Valid certificates of the company's live products that end within `days` of `today`."""
    return list(db.session.scalars(
        select(Certificate).join(Product).where(
            Product.supplier_id == supplier_id, Product.status != ProductStatus.withdrawn,
            Certificate.status == CertificateStatus.valid,
            Certificate.valid_until >= today, Certificate.valid_until <= today + timedelta(days=days),
        ).order_by(Certificate.valid_until, Certificate.id)))


def status_counts(supplier_id: int) -> dict[str, int]:
    """How many products the company has in each state."""
    counts = {status.value: 0 for status in ProductStatus}
    rows = db.session.execute(select(Product.status, func.count()).where(Product.supplier_id == supplier_id)
                              .group_by(Product.status))
    for status, count in rows:
        counts[str(status)] = count
    return counts


def products_query(viewer, *, status: str | None = None, district_id: int | None = None,
                   device_type: str | None = None, tier: str | None = None, q: str | None = None):
    """Products of the companies the viewer may oversee, filtered."""
    query = scope_to_viewer(select(Product).join(Supplier, Product.supplier_id == Supplier.id), viewer,
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
        pattern = like_pattern(q)
        query = query.where(or_(Product.model.ilike(pattern, escape="\\"), Product.brand.ilike(pattern, escape="\\"),
                                Supplier.legal_name.ilike(pattern, escape="\\")))
    return query
