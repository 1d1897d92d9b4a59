"""The installed-device register (SPEC 3.4): every gas safety device installed in a district.

A device comes from an order (orders/ calls down into devices.services) or is registered by an inspector
because it was installed outside the platform (free choice of seller, 附件1 四(三)); coverage counts both.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.models import DeviceType
from core.crypto import EncryptedString
from core.db import TimestampMixin, db, enum_column, now_utc
from core.i18n import _l

#: Event and alarm ids grow into the billions with millions of devices: BIGINT on PostgreSQL (SQLite's INTEGER
#: primary key is already 64-bit, and only INTEGER autoincrements there).
BigId = BigInteger().with_variant(Integer, "sqlite")


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
        Index("ix_installed_device_district_state", "district_id", "state"),
        Index("ix_installed_device_state_seen", "state", "last_seen_at"),
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
    #: Where it is (personal data: encrypted at rest, masked for everyone but the owner, the supplier and the
    #: district's officials and inspectors); copied from the order, or typed by the inspector.
    address: Mapped[str | None] = mapped_column(EncryptedString(600))
    #: Keyed hashes of the address's character pairs, so that the district's staff can search by address
    #: without the address being stored in the clear (devices.address_search).
    address_tokens: Mapped[str | None] = mapped_column(Text)
    #: Brand and model of a device installed outside the platform (no product of the catalogue).
    brand_model: Mapped[str | None] = mapped_column(String(200))
    #: The company that installed a device outside the platform, as the inspector found it.
    installer_name: Mapped[str | None] = mapped_column(String(200))
    #: The time of the event that set `state` (later events win, whatever order they arrive in).
    #: The household's category (附件1 四(五)): the order's for platform installations, the inspector's choice for
    #: devices registered outside the platform; the monthly report's coverage counts by it.
    household_category: Mapped[str] = mapped_column(String(32), nullable=False, server_default="other",
                                                    default="other")
    state_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: When the supplier and the owner were told that the device is due for replacement.
    replacement_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    product = relationship("Product")
    supplier = relationship("Supplier")
    district = relationship("District")
    township = relationship("Township")

    @property
    def in_place(self) -> bool:
        return self.state in IN_PLACE

    @property
    def outside_platform(self) -> bool:
        """Registered by an inspector: installed by a company of the resident's choosing, off the platform."""
        return self.order_id is None

    def is_due_for_replacement(self, today: date) -> bool:
        return self.replace_by is not None and self.replace_by <= today and self.in_place

    def __repr__(self) -> str:
        return f"<InstalledDevice {self.identifier} {self.state}>"


class EventType(enum.StrEnum):
    """What a device platform reports (SPEC 3.4)."""

    heartbeat = "heartbeat"
    #: Gas detected; value: the concentration in %LEL.
    alarm = "alarm"
    alarm_cleared = "alarm_cleared"
    valve_closed = "valve_closed"
    valve_opened = "valve_opened"
    fault = "fault"
    low_battery = "low_battery"


EVENT_TYPE_TITLES = {
    EventType.heartbeat: _l("心跳"),
    EventType.alarm: _l("燃气泄漏报警"),
    EventType.alarm_cleared: _l("报警解除"),
    EventType.valve_closed: _l("阀门关闭"),
    EventType.valve_opened: _l("阀门打开"),
    EventType.fault: _l("设备故障"),
    EventType.low_battery: _l("电量低"),
}


class DeviceEvent(db.Model):
    """One event a supplier's platform reported, unique by (supplier, the platform's event id)."""

    __tablename__ = "device_event"
    __table_args__ = (
        UniqueConstraint("supplier_id", "event_id"),
        Index("ix_device_event_device_at", "device_id", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: The key's owner: idempotency is per supplier, whichever of its keys posted.
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id", ondelete="CASCADE"))
    #: The platform's own id of the event (any text up to 100 characters).
    event_id: Mapped[str] = mapped_column(String(100))
    device_id: Mapped[int] = mapped_column(ForeignKey("installed_device.id", ondelete="CASCADE"))
    type: Mapped[EventType] = enum_column(EventType, "device_event_type")
    #: When the device saw it (UTC).
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The concentration in %LEL for an alarm; the battery level or fault code where a platform sends one.
    value: Mapped[float | None] = mapped_column(Float)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    key_id: Mapped[int | None] = mapped_column(ForeignKey("platform_key.id", ondelete="SET NULL"))


class AlarmState(enum.StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    closed = "closed"


ALARM_STATE_TITLES = {AlarmState.open: _l("待响应"), AlarmState.acknowledged: _l("已响应，处置中"),
                      AlarmState.closed: _l("已关闭")}


class AlarmOutcome(enum.StrEnum):
    """How the gas utility closed an alarm."""

    false_alarm = "false_alarm"
    leak_fixed = "leak_fixed"
    referred = "referred"


ALARM_OUTCOME_TITLES = {AlarmOutcome.false_alarm: _l("误报"), AlarmOutcome.leak_fixed: _l("泄漏已处置"),
                        AlarmOutcome.referred: _l("已移交（消防、物业等）")}


class Alarm(TimestampMixin, db.Model):
    """A gas alarm at one device, from the first `alarm` event until the gas utility closes it.

    At most one alarm per device is not closed (a partial unique index): later alarm events of the same
    episode raise its peak value instead of opening another.
    """

    __tablename__ = "alarm"
    __table_args__ = (
        Index("uq_alarm_device_not_closed", "device_id", unique=True,
              sqlite_where=text("state != 'closed'"), postgresql_where=text("state != 'closed'")),
        Index("ix_alarm_district_state", "district_id", "state"),
        Index("ix_alarm_state_opened", "state", "opened_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("installed_device.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id", ondelete="SET NULL"), index=True)
    state: Mapped[AlarmState] = enum_column(AlarmState, "alarm_state", default=AlarmState.open)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The highest concentration (%LEL) reported during the alarm.
    value: Mapped[float | None] = mapped_column(Float)
    #: The device reported the gas gone (`alarm_cleared`); the alarm stays open until the utility closes it.
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: The self-closing valve shut off the gas (`valve_closed` after the alarm).
    valve_closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    outcome: Mapped[AlarmOutcome | None] = enum_column(AlarmOutcome, "alarm_outcome", nullable=True)
    note: Mapped[str | None] = mapped_column(String(500))
    #: When the district's officials were told that nobody had acknowledged it in time.
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    device: Mapped[InstalledDevice] = relationship()
    district = relationship("District")

    @property
    def is_closed(self) -> bool:
        return self.state == AlarmState.closed

    def __repr__(self) -> str:
        return f"<Alarm {self.id} {self.state}>"
