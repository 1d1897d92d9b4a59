"""Factories and fixtures for the search tests: products with rich data and a controllable listing."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from catalog.models import Certificate, CertificateKind, CertificateStatus, DeviceType, Product, ProductStatus, Tier
from core.db import db
from market import listing as market_listing
from market.search import index, outbox
from suppliers import credit_code
from suppliers.models import Supplier, SupplierStatus
from tests.conftest import district

_n = itertools.count(500)
FAR = date.today() + timedelta(days=700)
ALARM_MID = ["methane_detection", "co_detection", "interlock_shutoff_wireless", "passive_identifier",
             "active_identifier", "status_collection", "valve_state_collection", "concentration_collection",
             "transmission_wireless", "notify_app"]
ALARM_LOW = ["methane_detection", "passive_identifier", "status_collection", "valve_state_collection",
             "concentration_collection", "transmission_wired"]
VALVE_LOW = ["overpressure_close", "underpressure_close", "overflow_close", "no_external_power_close",
             "manual_reset", "passive_identifier"]
VALVE_HIGH = [*VALVE_LOW, "active_identifier", "valve_state_collection", "transmission_wireless", "notify_wechat"]


def make_supplier(name: str | None = None, codes=("500103",)) -> Supplier:
    n = next(_n)
    first17 = f"91500000{n:09d}"
    supplier = Supplier(legal_name=name or f"重庆测试燃气设备有限公司{n}",
                        credit_code=first17 + credit_code.check_digit(first17),
                        qualification_name="燃气燃烧器具安装维修资质", qualification_level="二级",
                        contact_person="王工", phone=f"023-6100{n:04d}", address="重庆市渝中区解放碑路1号",
                        service_content="上门安装调试，两年免费维保。", status=SupplierStatus.verified)
    supplier.districts = [district(c) for c in codes]
    db.session.add(supplier)
    db.session.commit()
    return supplier


def make_product(supplier: Supplier, model: str, *, device_type=DeviceType.leak_alarm, usage="household",
                 tier=Tier.mid, features=None, price_fen=39900, brand="安燃", **fields) -> Product:
    is_alarm = device_type == DeviceType.leak_alarm
    features = list(features if features is not None else (ALARM_MID if is_alarm else VALVE_LOW))
    product = Product(
        supplier_id=supplier.id, device_type=device_type, usage=usage if is_alarm else None, tier=tier, brand=brand,
        manufacturer=f"{brand}仪表制造厂", model=model, features=features,
        standards=["GB 15322.2-2019", "GB 50058", "GB 16838"] if is_alarm else ["CJ/T 447-2014"],
        price_fen=price_fen, install_fee_fen=fields.pop("install_fee_fen", 5000),
        warranty_months=fields.pop("warranty_months", 24),
        smart=any(f.startswith("transmission") for f in features), status=ProductStatus.valid,
        is_own_manufacture=True, **fields)
    kind = CertificateKind.pattern_approval if is_alarm else CertificateKind.type_test_report
    product.certificates = [Certificate(kind=kind,
                                        number=f"CERT-{model}", issuer="国家燃气用具质量检验检测中心",
                                        valid_until=FAR, status=CertificateStatus.valid)]
    db.session.add(product)
    db.session.commit()
    return product


class FakeListing:
    """The registry's answer as the tests control it: {product id: [district codes]}.

    It stands in for registry.lists.queries.listed_product_districts as market.listing calls it (monkeypatched),
    so the tests choose what is listed without publishing a list version for every case.
    """

    def __init__(self) -> None:
        self.listed: dict[int, list[str]] = {}

    def __call__(self, product_ids=None):
        if product_ids is None:
            return dict(self.listed)
        return {pid: codes for pid, codes in self.listed.items() if pid in set(product_ids)}

    def put(self, product: Product, *codes: str, commit: bool = True) -> None:
        """List `product` in `codes` (none: unlist) and queue it, as the registry would."""
        if codes:
            self.listed[product.id] = list(codes)
        else:
            self.listed.pop(product.id, None)
        outbox.enqueue([product.id])
        if commit:
            db.session.commit()


@pytest.fixture
def listing():
    """An empty index driven by a FakeListing (the real registry query is restored afterwards).

    Its own MonkeyPatch, so that a test's `monkeypatch.undo()` keeps the listing in place.
    """
    fake = FakeListing()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(market_listing, "listed_product_districts", fake)
        index.clear_index()
        yield fake
        index.clear_index()


@pytest.fixture
def catalog_data(listing):
    """Five listed products in three districts (and one unlisted)."""
    anran = make_supplier("重庆安燃科技有限公司", ("500103", "500104"))
    shancheng = make_supplier("山城燃气安全设备有限公司", ("500103", "500105"))
    p = {
        "alarm_mid": make_product(anran, "JT-BX200", price_fen=39900),
        "alarm_low": make_product(anran, "JT-BX100", tier=Tier.low, features=ALARM_LOW, price_fen=25900),
        "alarm_com": make_product(anran, "HA-C300", usage="commercial", tier=Tier.high, brand="宏安",
                                  price_fen=89900),
        "valve_low": make_product(shancheng, "ZB-15A", device_type=DeviceType.self_closing_valve, tier=Tier.low,
                                  brand="山城", price_fen=19900),
        "valve_high": make_product(shancheng, "ZB-25H", device_type=DeviceType.self_closing_valve, tier=Tier.high,
                                   brand="山城", features=VALVE_HIGH, price_fen=59900, early_price_fen=49900,
                                   early_price_until=date.today() + timedelta(days=30)),
        "unlisted": make_product(anran, "JT-XX999", price_fen=10000),
    }
    for key, codes in (("alarm_mid", ("500103", "500104")), ("alarm_low", ("500103",)), ("alarm_com", ("500104",)),
                       ("valve_low", ("500103",)), ("valve_high", ("500105",))):
        listing.put(p[key], *codes, commit=False)
    db.session.commit()
    return p
