"""The installed-device register (SPEC 3.4): every gas safety device installed in a district.

A device comes from an order (orders/ calls down into devices.services) or is registered by an inspector
because it was installed outside the platform (free choice of seller, 附件1 四(三)); coverage counts both.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import DeviceType
from core.db import TimestampMixin, db, enum_column
from core.i18n import _l


class Carrier(enum.StrEnum):
    """How the industrial-internet identifier (工业互联网标识) is carried."""

    #: A QR code, RFID or NFC label read by a scanner.
    passive = "passive"
    #: A SIM, chip or module that connects by itself.
    active = "active"


CARRIER_TITLES = {Carrier.passive: _l("被动标识载体（二维码/RFID/NFC 标签）"),
                  Carrier.active: _l("主动标识载体（SIM 卡/芯片/模组）")}


class DeviceState(enum.StrEnum):
    """Where an installed device stands."""

    active = "active"
    alarm = "alarm"
    offline = "offline"
    fault = "fault"
    replaced = "replaced"
    removed = "removed"


DEVICE_STATE_TITLES = {
    DeviceState.active: _l("正常"),
    DeviceState.alarm: _l("报警"),
    DeviceState.offline: _l("离线"),
    DeviceState.fault: _l("故障"),
    DeviceState.replaced: _l("已更换"),
    DeviceState.removed: _l("已拆除"),
}
#: States of a device that is still in place (counted as installed).
IN_PLACE = frozenset({DeviceState.active, DeviceState.alarm, DeviceState.offline, DeviceState.fault})


class GasType(enum.StrEnum):
    """The gas the device watches (Chongqing's piped gas is natural gas)."""

    natural_gas = "natural_gas"
    lpg = "lpg"


GAS_TYPE_TITLES = {GasType.natural_gas: _l("天然气"), GasType.lpg: _l("液化石油气")}


class InstalledDevice(TimestampMixin, db.Model):
    """One device in place at a household or organisation, by its unique industrial-internet identifier."""

    __tablename__ = "installed_device"
    __table_args__ = (
        CheckConstraint("replace_by IS NULL OR replace_by >= installed_on", name="replace_after_install"),
        CheckConstraint("length(identifier) >= 4", name="identifier_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The industrial-internet identifier (工业互联网标识), unique across the city.
    identifier: Mapped[str] = mapped_column(String(120), unique=True)
    carrier: Mapped[Carrier] = enum_column(Carrier, "carrier")
    serial: Mapped[str] = mapped_column(String(100), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    device_type: Mapped[DeviceType] = enum_column(DeviceType, "device_type")
    #: The order it was sold through (None when an inspector registered it); no FK upward: orders sits above.
    order_id: Mapped[int | None] = mapped_column(index=True)
    #: The household or organisation that has it.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("township.id", ondelete="SET NULL"), index=True)
    gas_type: Mapped[GasType] = enum_column(GasType, "gas_type", default=GasType.natural_gas)
    installed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The Shanghai day of installation (for replace_by and monthly statistics).
    installed_on: Mapped[date] = mapped_column(Date)
    replace_by: Mapped[date | None] = mapped_column(Date, index=True)
    state: Mapped[DeviceState] = enum_column(DeviceState, "device_state", default=DeviceState.active, index=True)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Who recorded it (the supplier's installer, or the inspector).
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    product = relationship("Product")
    supplier = relationship("Supplier")
    district = relationship("District")
    township = relationship("Township")

    @property
    def in_place(self) -> bool:
        return self.state in IN_PLACE

    def __repr__(self) -> str:
        return f"<InstalledDevice {self.identifier} {self.state}>"
