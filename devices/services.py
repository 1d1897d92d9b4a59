"""State changes of the device register (they flush, never commit): installations recorded from orders."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from catalog.models import DeviceType, Product
from core import audit
from core.clock import to_shanghai
from core.db import db
from core.errors import DomainError
from core.i18n import _
from devices import address_search
from devices.models import Carrier, DeviceState, GasType, InstalledDevice

#: Service life in years by device type when the settings name none (DEVICE_SERVICE_LIFE_YEARS).
DEFAULT_SERVICE_LIFE_YEARS = {DeviceType.leak_alarm.value: 5, DeviceType.self_closing_valve.value: 10}
#: Identifiers (Handle-style, e.g. 88.118.8/GS-2026-000123) and serials: letters, digits and . / - _ : only.
IDENTIFIER_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z./_:\-]{3,119}$")
SERIAL_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z./_\-]{0,99}$")


@dataclass(frozen=True)
class DeviceInput:
    """One device as the installer records it."""

    identifier: str
    carrier: str
    serial: str


def normalise_identifier(value: str) -> str:
    """Identifiers compare without surrounding spaces and case-insensitively in their letters (stored upper)."""
    return (value or "").strip().upper()


def check_inputs(devices: list[DeviceInput], *, allowed_order_id: int | None = None) -> list[DeviceInput]:
    """Normalised inputs, or a DomainError naming the field (`devices-N-identifier` style) that is wrong."""
    seen: set[str] = set()
    cleaned = []
    for index, item in enumerate(devices):
        identifier = normalise_identifier(item.identifier)
        serial = (item.serial or "").strip()
        if not IDENTIFIER_PATTERN.match(identifier):
            raise DomainError(_("第 %(n)d 台设备的工业互联网标识格式不正确（4–120 位字母、数字或 . / - _ :）。",
                                n=index + 1), field=f"devices-{index}-identifier")
        if identifier in seen:
            raise DomainError(_("第 %(n)d 台设备的标识与前面的设备重复。", n=index + 1),
                              field=f"devices-{index}-identifier")
        if item.carrier not in {c.value for c in Carrier}:
            raise DomainError(_("请选择第 %(n)d 台设备的标识载体。", n=index + 1), field=f"devices-{index}-carrier")
        if not SERIAL_PATTERN.match(serial):
            raise DomainError(_("第 %(n)d 台设备的序列号格式不正确。", n=index + 1), field=f"devices-{index}-serial")
        seen.add(identifier)
        cleaned.append(DeviceInput(identifier, item.carrier, serial))
    taken = db.session.scalars(select(InstalledDevice).where(
        InstalledDevice.identifier.in_([d.identifier for d in cleaned]))).all()
    for device in taken:
        if allowed_order_id is None or device.order_id != allowed_order_id:
            index = next(i for i, d in enumerate(cleaned) if d.identifier == device.identifier)
            raise DomainError(_("标识 %(identifier)s 已登记在另一台设备上：标识在全市唯一。",
                                identifier=device.identifier), field=f"devices-{index}-identifier")
    return cleaned


def replace_by(device_type: str, installed_on: date) -> date:
    """The day a device installed on `installed_on` is due for replacement (its service life)."""
    years = dict(DEFAULT_SERVICE_LIFE_YEARS, **(current_app.config.get("DEVICE_SERVICE_LIFE_YEARS") or {}))
    life = int(years.get(str(device_type), 5))
    try:
        return installed_on.replace(year=installed_on.year + life)
    except ValueError:  # 29 February
        return installed_on.replace(year=installed_on.year + life, day=28)


def record_installation(*, order_id: int, product: Product, owner_id: int, district_id: int,
                        township_id: int | None, devices: list[DeviceInput], installed_at: datetime,
                        actor, gas_type: GasType = GasType.natural_gas,
                        address: str | None = None, household_category: str = "other") -> list[InstalledDevice]:
    """Register the devices an order installed; a re-installation of the same order replaces its earlier set.

    Identifiers already registered for this order are updated in place (the same device re-fitted); the order's
    earlier devices that are not in the new set are marked `removed`. Raises DomainError for bad or taken ids.
    """
    cleaned = check_inputs(devices, allowed_order_id=order_id)
    existing = {d.identifier: d for d in db.session.scalars(
        select(InstalledDevice).where(InstalledDevice.order_id == order_id))}
    installed_on = to_shanghai(installed_at).date()
    result = []
    for item in cleaned:
        device = existing.pop(item.identifier, None)
        fields = dict(carrier=Carrier(item.carrier), serial=item.serial, product_id=product.id,
                      supplier_id=product.supplier_id, device_type=product.device_type, owner_id=owner_id,
                      district_id=district_id, township_id=township_id, gas_type=gas_type,
                      installed_at=installed_at, installed_on=installed_on,
                      replace_by=replace_by(product.device_type, installed_on), state=DeviceState.active,
                      state_at=installed_at, registered_by_id=getattr(actor, "id", None), address=address,
                      address_tokens=address_search.tokens(address), household_category=household_category)
        if device is None:
            device = InstalledDevice(identifier=item.identifier, order_id=order_id, **fields)
            db.session.add(device)
            db.session.flush()
            audit.record(actor, "device.registered", device, {"identifier": (None, item.identifier),
                                                               "serial": (None, item.serial)},
                         extra={"order_id": order_id})
        else:
            before = {"serial": device.serial, "carrier": str(device.carrier), "state": str(device.state)}
            for key, value in fields.items():
                setattr(device, key, value)
            audit.record(actor, "device.reinstalled", device,
                         {k: (v, str(getattr(device, k))) for k, v in before.items()}, extra={"order_id": order_id})
        result.append(device)
    for device in existing.values():
        if device.state != DeviceState.removed:
            audit.record(actor, "device.removed", device, {"state": (str(device.state), "removed")},
                         extra={"order_id": order_id})
            device.state = DeviceState.removed
    db.session.flush()
    return result
