"""Minimal factories for suppliers, products and certificates (rows inserted directly)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from catalog.models import (
    Certificate,
    CertificateKind,
    CertificateStatus,
    DeviceType,
    Product,
    ProductStatus,
    Tier,
)
from core.db import db
from core.permissions import Role
from suppliers import credit_code
from suppliers.models import Supplier, SupplierStatus
from tests.conftest import district, make_user

_n = itertools.count(1)
FAR = date.today() + timedelta(days=700)


def _credit_code(n: int) -> str:
    first17 = f"91500000{n:09d}"
    return first17 + credit_code.check_digit(first17)


def make_supplier(*, districts: tuple[str, ...] = ("500103",), status=SupplierStatus.verified,
                  **fields) -> Supplier:
    n = next(_n)
    values = {
        "legal_name": f"测试安装公司{n}", "credit_code": _credit_code(n),
        "qualification_name": "燃气燃烧器具安装维修资质",
        "qualification_level": "二级", "contact_person": f"联系人{n}", "phone": f"023-6000{n:04d}",
        "address": f"重庆市渝中区测试路{n}号", "service_content": "上门安装、调试，一年免费维保。", "status": status,
    }
    values.update(fields)
    supplier = Supplier(**values)
    supplier.districts = [district(code) for code in districts]
    db.session.add(supplier)
    db.session.commit()
    return supplier


def make_product(supplier: Supplier, tier=Tier.low, *, device_type=DeviceType.self_closing_valve,
                 status=ProductStatus.valid, price_fen: int = 19900, cert_until: date = FAR, **fields) -> Product:
    n = next(_n)
    values = {
        "supplier_id": supplier.id, "device_type": device_type, "tier": tier, "brand": "山城",
        "manufacturer": "山城仪表", "model": f"ZB-{n:03d}", "features": ["overpressure_close"],
        "standards": ["CJ/T 447-2014"], "price_fen": price_fen, "install_fee_fen": 5000, "warranty_months": 24,
        "smart": tier != Tier.low, "status": status, "is_own_manufacture": True,
    }
    if device_type == DeviceType.leak_alarm:
        values["usage"] = "household"
    values.update(fields)
    product = Product(**values)
    product.certificates = [Certificate(kind=CertificateKind.type_test_report, number=f"TR-{n}",
                                        issuer="国家燃气用具质检中心",
                                        valid_until=cert_until, status=CertificateStatus.valid)]
    db.session.add(product)
    db.session.commit()
    return product


def make_full_supplier(**kwargs) -> tuple[Supplier, list[Product]]:
    """A verified supplier with one valid product of each tier."""
    supplier = make_supplier(**kwargs)
    return supplier, [make_product(supplier, t, price_fen=p) for t, p in
                      ((Tier.low, 19900), (Tier.mid, 39900), (Tier.high, 69900))]


def make_official(code: str = "500103"):
    return make_user(Role.district_official, districts=(code,))

