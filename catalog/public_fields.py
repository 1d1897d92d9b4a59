"""A product's public fields exactly as SPEC 7 names them: the one serialiser.

Used by the registry's list snapshots (with the district's own published prices), by the products API
and by the search documents (market); nothing else writes a product's public fields.
"""

from __future__ import annotations

from catalog.models import Certificate, Product
from core.isodate import iso


def certificate_public(certificate: Certificate) -> dict:
    """kind, number, issuer, valid_until."""
    return {"kind": iso(certificate.kind), "number": certificate.number, "issuer": certificate.issuer,
            "valid_until": iso(certificate.valid_until)}


def product_public(product: Product, *, price_fen: int | None = None, install_fee_fen: int | None = None) -> dict:
    """The SPEC 7 product fields; a district list (or the API) passes the published price and fee."""
    return {
        "id": product.id,
        "device_type": iso(product.device_type),
        "usage": iso(product.usage),
        "tier": iso(product.tier),
        "brand": product.brand,
        "model": product.model,
        "price_fen": product.price_fen if price_fen is None else price_fen,
        "install_fee_fen": product.install_fee_fen if install_fee_fen is None else install_fee_fen,
        "early_price_fen": product.early_price_fen,
        "early_price_until": iso(product.early_price_until),
        "warranty_months": product.warranty_months,
        "smart": bool(product.smart),
        "features": list(product.features or []),
        "standards": list(product.standards or []),
        "certificates": [certificate_public(c) for c in product.certificates],
    }
