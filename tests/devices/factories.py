"""Devices, keys and the people around them, inserted directly (no order needed) for the device tests."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from catalog.models import DeviceType, Tier
from core.accounts.models import User
from core.clock import now_utc
from core.db import db
from core.permissions import Role
from devices import address_search
from devices.models import Carrier, DeviceState, InstalledDevice
from suppliers import keys
from tests.conftest import district, make_user
from tests.registry.factories import make_product, make_supplier
from tests.suppliers.factories import make_staff

_n = itertools.count(1)
ADDRESS = "解放碑街道民族路 88 号 3 单元 502"


@dataclass
class DeviceWorld:
    """Two suppliers of 渝中区 (500103) with a product each, a resident there, a resident of 江北区 (500105),
    inspectors and officials of both districts."""

    supplier: object
    product: object
    staff: User
    other_supplier: object
    other_product: object
    other_staff: User
    resident: User
    other_resident: User
    inspector: User
    other_inspector: User
    official: User
    other_official: User


def make_device_world() -> DeviceWorld:
    supplier = make_supplier(districts=("500103", "500105"))
    other = make_supplier(districts=("500103",))
    world = DeviceWorld(
        supplier=supplier, product=make_product(supplier, Tier.mid, device_type=DeviceType.leak_alarm,
                                                usage="household"),
        staff=make_staff(supplier, display_name="平台运维"),
        other_supplier=other, other_product=make_product(other, Tier.low, device_type=DeviceType.self_closing_valve),
        other_staff=make_staff(other),
        resident=make_user(Role.resident, display_name="王居民"),
        other_resident=make_user(Role.resident, display_name="赵居民"),
        inspector=make_user(Role.inspector, districts=("500103",), display_name="李安检"),
        other_inspector=make_user(Role.inspector, districts=("500105",)),
        official=make_user(Role.district_official, districts=("500103",)),
        other_official=make_user(Role.district_official, districts=("500105",)))
    db.session.commit()
    return world


def make_device(supplier, product, owner: User | None, *, code: str = "500103", identifier: str | None = None,
                state: DeviceState = DeviceState.active, last_seen_at=None, installed_days_ago: int = 30,
                address: str = ADDRESS, carrier: Carrier = Carrier.active, replace_by=None) -> InstalledDevice:
    """A committed device in the register (as if an order had installed it)."""
    n = next(_n)
    installed_at = now_utc() - timedelta(days=installed_days_ago)
    device = InstalledDevice(
        identifier=identifier or f"88.118.8/TEST-{n:06d}", carrier=carrier, serial=f"SN{n:08d}",
        product_id=getattr(product, "id", None), supplier_id=getattr(supplier, "id", None),
        device_type=getattr(product, "device_type", DeviceType.leak_alarm), owner_id=getattr(owner, "id", None),
        district_id=district(code).id, installed_at=installed_at, installed_on=installed_at.date(),
        replace_by=replace_by or installed_at.date().replace(year=installed_at.year + 5), state=state,
        state_at=installed_at, last_seen_at=last_seen_at, address=address,
        address_tokens=address_search.tokens(address))
    db.session.add(device)
    db.session.commit()
    return device


def supplier_key(supplier, actor=None, name: str = "设备平台") -> tuple[keys.PlatformKey, str]:
    key, token = keys.create_key(actor, name=name, supplier=supplier)
    db.session.commit()
    return key, token


def utility_key(*codes: str, actor=None, name: str = "燃气企业监控平台") -> tuple[keys.PlatformKey, str]:
    key, token = keys.create_key(actor, name=name, districts=[district(c) for c in codes])
    db.session.commit()
    return key, token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
