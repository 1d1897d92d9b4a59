"""Demo data of the catalog package (idempotent): products and certificates of the demo supplier companies.

The companies themselves are company-register data (suppliers/demo.py runs first); this step finds them
through their staff accounts `supplier{n}@demo.local`.
Products are keyed on (company, model) and go through the real services, so verdicts are the validator's.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from catalog import services
from catalog.models import CertificateKind, DeviceType, Product, ProductStatus, Tier, Usage
from core.accounts.models import User
from core.clock import today_shanghai
from core.db import db
from core.uploads import save_upload
from suppliers.queries import supplier_of

DEMO_SUPPLIERS = 12

ALARM_BASE = ("methane_detection", "passive_identifier", "status_collection", "valve_state_collection",
              "concentration_collection", "transmission_wireless")
ALARM_MID = (*ALARM_BASE, "co_detection", "interlock_shutoff_wireless", "active_identifier", "notify_app")
ALARM_HIGH = (*ALARM_MID, "interlock_shutoff_wired", "notify_wechat", "notify_phone")
VALVE_BASE = ("overpressure_close", "underpressure_close", "overflow_close", "no_external_power_close",
              "manual_reset", "passive_identifier")
VALVE_MID = (*VALVE_BASE, "active_identifier", "valve_state_collection", "transmission_wireless", "notify_app")
VALVE_HIGH = (*VALVE_MID, "notify_wechat", "notify_phone")

#: Features that meet every rule of a device type and tier (附件3).
FEATURES = {
    (DeviceType.leak_alarm, Tier.low): ALARM_BASE, (DeviceType.leak_alarm, Tier.mid): ALARM_MID,
    (DeviceType.leak_alarm, Tier.high): ALARM_HIGH, (DeviceType.self_closing_valve, Tier.low): VALVE_BASE,
    (DeviceType.self_closing_valve, Tier.mid): VALVE_MID, (DeviceType.self_closing_valve, Tier.high): VALVE_HIGH,
}


def standards_for(device_type: DeviceType, usage: Usage | None) -> list[str]:
    """Standards with editions that satisfy the standards rules."""
    if device_type == DeviceType.self_closing_valve:
        return ["CJ/T 447-2014"]
    alarm = "GB 15322.2-2019" if usage == Usage.household else "GB 15322.1-2019"
    return [alarm, "GB/T 50058-2014", "GB 16838-2021"]


def certificates_for(device_type: DeviceType, n: int, until: date) -> list[services.CertificateData]:
    """A full set of certificates for a product (alarms: three; valves: the type test report)."""
    if device_type == DeviceType.self_closing_valve:
        return [services.CertificateData(CertificateKind.type_test_report, f"NGQC-2024-{n:04d}",
                                         "国家燃气用具质量检验检测中心", until, "CJ/T 447-2014", date(2024, 3, 1))]
    return [
        services.CertificateData(CertificateKind.pattern_approval, f"2024C{n:03d}-50", "重庆市市场监督管理局",
                                 until, "JJG 693-2011", date(2024, 1, 15)),
        services.CertificateData(CertificateKind.explosion_proof, f"CNEx24.{n:04d}X",
                                 "国家防爆电气产品质量检验检测中心", until - timedelta(days=31), "GB/T 3836.1-2021",
                                 date(2024, 2, 1)),
        services.CertificateData(CertificateKind.fire_product, f"2025081801{n:06d}",
                                 "应急管理部消防产品合格评定中心（CCC）", until - timedelta(days=92), "GB 15322.2-2019",
                                 date(2025, 7, 1)),
    ]


#: Product lines: (brand, manufacturer, model prefix).
BRANDS = (
    ("渝安", "重庆渝安仪表有限公司", "JT-BX"), ("巴渝卫士", "重庆巴渝卫士科技有限公司", "BY-KR"),
    ("嘉陵", "重庆嘉陵智能燃气设备有限公司", "JL-GD"), ("长江盾", "重庆长江盾安全技术有限公司", "CJD"),
    ("山城安", "重庆山城安传感器有限公司", "SCA"), ("缙云", "重庆缙云燃气器具有限公司", "JY-RQ"),
)
#: (device type, usage, tier, model suffix, price yuan base, install fee yuan).
LINES = (
    (DeviceType.leak_alarm, Usage.household, Tier.low, "2201", 168, 40),
    (DeviceType.leak_alarm, Usage.household, Tier.mid, "3301", 318, 60),
    (DeviceType.leak_alarm, Usage.household, Tier.high, "5501", 488, 80),
    (DeviceType.self_closing_valve, None, Tier.low, "ZB15A", 128, 50),
    (DeviceType.self_closing_valve, None, Tier.mid, "ZB15W", 228, 60),
    (DeviceType.self_closing_valve, None, Tier.high, "ZB20N", 338, 80),
    (DeviceType.leak_alarm, Usage.commercial, Tier.mid, "SY-800", 880, 150),
)


def _demo_letter(name: str) -> str:
    body = f"%PDF-1.4\n% demo authorisation letter {name}\n%%EOF\n".encode()
    return save_upload(FileStorage(io.BytesIO(body), filename="authorisation.pdf"), kind="authorisation")


def _product(supplier, staff: User, n: int, line, *, model: str, brand, extra: dict | None = None) -> Product | None:
    existing = db.session.scalar(select(Product).where(Product.supplier_id == supplier.id, Product.model == model))
    if existing is not None:
        return None
    device_type, usage, tier, _suffix, price, fee = line
    extra = extra or {}
    features = list(extra.pop("features", FEATURES[(device_type, tier)]))
    data = services.ProductData(
        device_type=device_type, usage=usage, tier=tier, brand=brand[0], manufacturer=brand[1], model=model,
        is_own_manufacture=False, price_fen=(price + (n % 5) * 10) * 100, install_fee_fen=fee * 100,
        warranty_months=12 if tier == Tier.low else (24 if tier == Tier.mid else 36), features=features,
        standards=standards_for(device_type, usage),
        service_content="免费上门安装调试；质保期内免费维修更换；7×24 小时报修，主城区 4 小时内响应。",
        early_price_fen=(price - 20 + (n % 5) * 10) * 100 if tier == Tier.mid else None,
        early_price_until=date(2027, 3, 31) if tier == Tier.mid else None)
    letter = None if extra.pop("no_letter", False) else _demo_letter(model)
    product = services.create_product(supplier, data, actor=staff, authorisation_file=letter)
    until = extra.pop("until", date(2027 + (n + len(model)) % 2, 6 + n % 6, 28))
    for cert in certificates_for(device_type, n * 10 + len(product.certificates) + tier_index(tier), until):
        if cert.kind == CertificateKind.fire_product and usage == Usage.commercial:
            cert.standard_edition = "GB 15322.1-2019"
        services.add_certificate(product, cert, actor=staff)
    if extra.pop("expiring", False):
        product.certificates[0].valid_until = today_shanghai() + timedelta(days=40)
    final = extra.pop("final", ProductStatus.valid)
    if final != ProductStatus.draft:
        services.submit_product(product, actor=staff)
    if final == ProductStatus.withdrawn:
        services.withdraw_product(product, actor=staff, reason="该型号停产")
    return product


def tier_index(tier: Tier) -> int:
    return (Tier.low, Tier.mid, Tier.high).index(tier)


#: Extra products per company number, so that every state is visible.
SPECIALS = {
    2: ("3302", LINES[1], {"features": ALARM_BASE}),  # claims mid, qualifies low → invalid
    3: ("ZB15B", LINES[3], {"no_letter": True}),  # no authorisation letter → invalid
    4: ("6601", LINES[2], {"final": ProductStatus.draft}),
    5: ("ZB20X", LINES[5], {"final": ProductStatus.withdrawn}),
    6: ("3305", LINES[1], {"expiring": True}),  # valid, a certificate expires within 60 days
    7: ("2208", LINES[0], {"until": date(2026, 5, 31)}),  # certificates expired → invalid
}


def seed() -> None:
    """Products of the demo companies (found through their staff accounts)."""
    for n in range(1, DEMO_SUPPLIERS + 1):
        staff = db.session.scalar(select(User).where(User.email == f"supplier{n}@demo.local"))
        supplier = supplier_of(staff) if staff is not None else None
        if supplier is None:
            continue
        brand = BRANDS[(n - 1) % len(BRANDS)]
        for line in LINES:
            _product(supplier, staff, n, line, model=f"{brand[2]}-{line[3]}-{n:02d}", brand=brand)
        if n in SPECIALS:
            suffix, line, extra = SPECIALS[n]
            _product(supplier, staff, n, line, model=f"{brand[2]}-{suffix}-{n:02d}", brand=brand, extra=dict(extra))
        db.session.flush()
