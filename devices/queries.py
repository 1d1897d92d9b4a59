"""Reads of the device register."""

from __future__ import annotations

from sqlalchemy import func, select

from core.db import db
from devices.models import IN_PLACE, InstalledDevice


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
