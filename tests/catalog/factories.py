"""Factories for catalog tests: a company with staff, and products that pass (or fail) the validator."""

from __future__ import annotations

import itertools
from datetime import date

from catalog import services
from catalog.demo import FEATURES, certificates_for, standards_for
from catalog.models import DeviceType, Product, ProductStatus, Tier, Usage
from core.db import db
from suppliers import credit_code
from suppliers.models import Supplier, SupplierStatus
from tests.conftest import district

_n = itertools.count(1)
CERT_UNTIL = date(2028, 6, 30)
AS_OF = date(2026, 11, 29)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def code_for(n: int) -> str:
    first17 = f"91500112MA7{n:06d}"
    return first17 + credit_code.check_digit(first17)


def make_company(*, districts=("500103",), status=SupplierStatus.verified, **fields) -> Supplier:
    n = next(_n)
    values = {"legal_name": f"重庆测试燃气安装有限公司{n}", "credit_code": code_for(n),
              "qualification_name": "燃气燃烧器具安装维修资质", "qualification_level": "二级",
              "contact_person": "王工", "phone": "023-6000 1234", "address": "重庆市渝中区测试路 1 号",
              "service_content": "上门安装调试，一年免费维保。", "status": status}
    values.update(fields)
    supplier = Supplier(**values)
    supplier.districts = [district(code) for code in districts]
    db.session.add(supplier)
    db.session.commit()
    return supplier


def product_data(device_type=DeviceType.leak_alarm, tier=Tier.mid, *, usage=Usage.household, **overrides):
    usage = usage if device_type == DeviceType.leak_alarm else None
    values = dict(device_type=device_type, usage=usage, tier=tier, brand="渝安", manufacturer="重庆渝安仪表有限公司",
                  model=f"JT-BX-{next(_n):04d}", is_own_manufacture=True, price_fen=29900, install_fee_fen=5000,
                  warranty_months=24, features=list(FEATURES[(device_type, tier)]),
                  standards=standards_for(device_type, usage), service_content="上门安装")
    values.update(overrides)
    return services.ProductData(**values)


def make_product(supplier: Supplier, actor, *, device_type=DeviceType.leak_alarm, tier=Tier.mid,
                 submit: bool = True, cert_until: date = CERT_UNTIL, **overrides) -> Product:
    """A product with a full set of certificates; submitted (→ valid) unless submit=False."""
    product = services.create_product(supplier, product_data(device_type, tier, **overrides), actor=actor)
    for cert in certificates_for(device_type, next(_n), cert_until):
        cert.valid_until = cert_until
        services.add_certificate(product, cert, actor=actor)
    if submit:
        services.submit_product(product, actor=actor, as_of=AS_OF)
    db.session.commit()
    assert not submit or product.status == ProductStatus.valid, product.verdict
    return product
