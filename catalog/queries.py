"""Catalog reads: a company's products and certificates, certificates about to expire."""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from catalog.models import Certificate, CertificateStatus, Product, ProductStatus
from core.db import db


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
