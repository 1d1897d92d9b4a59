"""Reads of the device register."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, or_, select

from core.clock import now_utc
from core.db import as_utc, db
from devices.models import IN_PLACE, Alarm, AlarmState, DeviceEvent, DeviceState, InstalledDevice


def owner_devices(owner_id: int) -> list[InstalledDevice]:
    """The devices registered for a household or organisation, newest first."""
    return list(db.session.scalars(select(InstalledDevice).where(InstalledDevice.owner_id == owner_id)
                                   .order_by(InstalledDevice.installed_at.desc(), InstalledDevice.id.desc())))


def installed_counts(owner_id: int) -> dict[str, int]:
    """device type → how many devices of that type are in place for the owner."""
    rows = db.session.execute(select(InstalledDevice.device_type, func.count()).where(
        InstalledDevice.owner_id == owner_id, InstalledDevice.state.in_([s.value for s in IN_PLACE]))
        .group_by(InstalledDevice.device_type))
    return {str(device_type): count for device_type, count in rows}


def order_devices(order_id: int) -> list[InstalledDevice]:
    """The devices an order installed (in place or not), in the order recorded."""
    return list(db.session.scalars(select(InstalledDevice).where(InstalledDevice.order_id == order_id)
                                   .order_by(InstalledDevice.id)))


def supplier_devices(supplier_id: int, limit: int = 200) -> list[InstalledDevice]:
    """The devices a supplier installed, newest first."""
    return list(db.session.scalars(select(InstalledDevice).where(InstalledDevice.supplier_id == supplier_id)
                                   .order_by(InstalledDevice.installed_at.desc()).limit(limit)))


def owner_alarms(owner_id: int, *, closed_days: int = 30) -> list[Alarm]:
    """The owner's alarms that are not closed, then those closed in the last `closed_days` days, newest first."""
    since = now_utc() - timedelta(days=closed_days)
    return list(db.session.scalars(
        select(Alarm).join(InstalledDevice, InstalledDevice.id == Alarm.device_id)
        .where(InstalledDevice.owner_id == owner_id,
               or_(Alarm.state != AlarmState.closed, Alarm.closed_at >= since))
        .order_by((Alarm.state == AlarmState.closed), Alarm.opened_at.desc()).limit(20)))


def supplier_open_alarms(supplier_id: int) -> list[Alarm]:
    """The alarms not yet closed at the devices a supplier installed, oldest first (the most urgent)."""
    return list(db.session.scalars(select(Alarm).where(Alarm.supplier_id == supplier_id,
                                                       Alarm.state != AlarmState.closed)
                                   .order_by(Alarm.opened_at).limit(100)))


def supplier_device_query(supplier_id: int, *, state: DeviceState | None = None):
    """The SELECT of a supplier's devices (alarms first, then newest), optionally of one state."""
    query = select(InstalledDevice).where(InstalledDevice.supplier_id == supplier_id)
    if state is not None:
        query = query.where(InstalledDevice.state == state)
    return query.order_by((InstalledDevice.state != DeviceState.alarm), InstalledDevice.installed_at.desc(),
                          InstalledDevice.id.desc())


def supplier_state_counts(supplier_id: int) -> dict[str, int]:
    """state → number of the supplier's devices, by one GROUP BY."""
    rows = db.session.execute(select(InstalledDevice.state, func.count())
                              .where(InstalledDevice.supplier_id == supplier_id).group_by(InstalledDevice.state))
    return {str(state): count for state, count in rows}


def device_events(device_id: int, limit: int = 50) -> list[DeviceEvent]:
    """A device's latest events, newest first."""
    return list(db.session.scalars(select(DeviceEvent).where(DeviceEvent.device_id == device_id)
                                   .order_by(DeviceEvent.at.desc(), DeviceEvent.id.desc()).limit(limit)))


def alarm_events(alarm: Alarm, *, margin: timedelta = timedelta(hours=1), limit: int = 100) -> list[DeviceEvent]:
    """The device's events from an hour before the alarm opened until an hour after it closed (or now), in order."""
    end = (as_utc(alarm.closed_at) if alarm.closed_at else now_utc()) + margin
    return list(db.session.scalars(
        select(DeviceEvent).where(DeviceEvent.device_id == alarm.device_id,
                                  DeviceEvent.at >= as_utc(alarm.opened_at) - margin, DeviceEvent.at <= end)
        .order_by(DeviceEvent.at, DeviceEvent.id).limit(limit)))


def device_alarms(device_id: int, limit: int = 50) -> list[Alarm]:
    """A device's alarms, newest first."""
    return list(db.session.scalars(select(Alarm).where(Alarm.device_id == device_id)
                                   .order_by(Alarm.opened_at.desc(), Alarm.id.desc()).limit(limit)))


def alarm_state_counts(district_ids) -> dict[str, int]:
    """alarm state → number of the districts' alarms, by one GROUP BY."""
    rows = db.session.execute(select(Alarm.state, func.count()).where(Alarm.district_id.in_(list(district_ids) or [-1]))
                              .group_by(Alarm.state))
    return {str(state): count for state, count in rows}
