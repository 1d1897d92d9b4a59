"""The scheduled sweep of the device register (`flask --app wsgi devices sweep`), safe to run twice and on
several machines at once.

1. offline: a monitored device (an active carrier, or one that has reported before) in state `active` whose
   last report (or installation, when it never reported) is older than DEVICE_OFFLINE_HOURS → `offline`;
2. replacement due: a device still in place whose `replace_by` day (Asia/Shanghai) has come, not yet
   announced → `replacement_notified_at`;
3. escalation: an alarm still `open` (nobody acknowledged it) for ALARM_ESCALATE_MINUTES, not yet escalated →
   `escalated_at`, and the district's officials and inspectors are told;
4. address tokens: devices with an address but no search tokens get them (devices.address_search).

Each part picks candidates in SQL, a chunk at a time (keyset by id), and claims them with a conditional
UPDATE ... RETURNING that repeats every condition: of two sweeps at once only one claims a row, and only the
rows a run claimed are audited and notified. Each chunk is its own transaction whose first statement is the
claim, so a run never waits for a row lock while it holds the audit chain's lock.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import joinedload

from core import audit, clock
from core.accounts.models import User
from core.accounts.queries import inspectors_of, officials_of
from core.db import as_utc, db
from core.i18n import N_
from core.notifications import notify
from devices import address_search
from devices.models import IN_PLACE, Alarm, AlarmState, Carrier, DeviceState, InstalledDevice
from suppliers.queries import staff_of

CHUNK = 500
#: A supplier's notification names at most this many identifiers (then "…").
NAMED_IDENTIFIERS = 20
RESIDENT_LINK = "/dashboard#devices"
SUPPLIER_LINK = "/supplier/devices"

OFFLINE_OWNER_SUBJECT = N_("设备 %(identifier)s 已离线")
OFFLINE_OWNER_BODY = N_("这台设备已超过 %(hours)s 小时没有上报状态，可能断电、断网或出现故障，期间无法报警。"
                        "请检查设备的电源和网络，或联系安装单位。")
OFFLINE_SUPPLIER_SUBJECT = N_("%(count)s 台设备已离线")
OFFLINE_SUPPLIER_BODY = N_("以下设备已超过 %(hours)s 小时没有上报状态，已标记为离线：%(identifiers)s。"
                           "请联系用户检查设备的电源和网络。")
REPLACE_OWNER_SUBJECT = N_("设备 %(identifier)s 已到更换期限")
REPLACE_OWNER_BODY = N_("这台设备的使用年限到 %(date)s 为止，超期使用可能无法可靠报警。请联系安装单位安排更换。")
REPLACE_SUPPLIER_SUBJECT = N_("%(count)s 台设备已到更换期限")
REPLACE_SUPPLIER_BODY = N_("以下设备已到使用年限：%(identifiers)s。请联系用户安排更换。")
ESCALATE_SUBJECT = N_("报警 %(identifier)s 超过 %(minutes)s 分钟无人响应")
ESCALATE_BODY = N_("%(district)s 的燃气泄漏报警（%(opened)s 发生，浓度 %(value)s %%LEL）至今没有燃气企业响应，"
                   "请立即督促处置。")


@dataclass
class SweepResult:
    """How many rows each part of one run claimed."""

    offline: int = 0
    replacement_due: int = 0
    escalated: int = 0
    tokens: int = 0


def sweep(now: datetime | None = None) -> SweepResult:
    """Run the four parts; commits after each chunk."""
    now = as_utc(now) or clock.now_utc()
    return SweepResult(offline=mark_offline(now), replacement_due=announce_replacements(now),
                       escalated=escalate_alarms(now), tokens=backfill_address_tokens())


def _chunks(query, id_column):
    """Candidate ids of `query`, CHUNK at a time in id order (each call to the generator reads the next chunk)."""
    last = 0
    while True:
        ids = list(db.session.scalars(query.where(id_column > last).order_by(id_column).limit(CHUNK)))
        if not ids:
            return
        last = ids[-1]
        yield ids


def _identifier_list(identifiers: list[str]) -> str:
    named = sorted(identifiers)[:NAMED_IDENTIFIERS]
    return ", ".join(named) + (" …" if len(identifiers) > NAMED_IDENTIFIERS else "")


def _tell(claimed: list, owner_message: tuple[str, str], supplier_message: tuple[str, str], params) -> None:
    """Notify each claimed device's owner, and each supplier's staff once for all of its claimed devices."""
    owners = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_({d.owner_id for d in claimed if d.owner_id is not None})))}
    by_supplier: dict[int, list[str]] = defaultdict(list)
    for device in claimed:
        if device.owner_id in owners:
            notify([owners[device.owner_id]], *owner_message, params={"identifier": device.identifier,
                                                                      **params(device)}, link=RESIDENT_LINK)
        if device.supplier_id is not None:
            by_supplier[device.supplier_id].append(device.identifier)
    for supplier_id, identifiers in by_supplier.items():
        notify(staff_of(supplier_id), *supplier_message,
               params={"count": len(identifiers), "identifiers": _identifier_list(identifiers),
                       **params(None)}, link=SUPPLIER_LINK)


def _claimed_devices(ids: list[int]) -> list[InstalledDevice]:
    return list(db.session.scalars(select(InstalledDevice).where(InstalledDevice.id.in_(ids))
                                   .order_by(InstalledDevice.id).execution_options(populate_existing=True)))


def mark_offline(now: datetime) -> int:
    """Part 1: monitored `active` devices silent for DEVICE_OFFLINE_HOURS become `offline`."""
    hours = int(current_app.config["DEVICE_OFFLINE_HOURS"])
    cutoff = now - timedelta(hours=hours)
    conditions = (InstalledDevice.state == DeviceState.active,
                  or_(InstalledDevice.carrier == Carrier.active, InstalledDevice.last_seen_at.is_not(None)),
                  func.coalesce(InstalledDevice.last_seen_at, InstalledDevice.installed_at) < cutoff)
    total = 0
    for ids in _chunks(select(InstalledDevice.id).where(*conditions), InstalledDevice.id):
        claimed = db.session.scalars(
            update(InstalledDevice).where(InstalledDevice.id.in_(ids), *conditions)
            .values(state=DeviceState.offline, state_at=now).returning(InstalledDevice.id)
            .execution_options(synchronize_session=False)).all()
        if not claimed:
            db.session.rollback()
            continue
        devices = _claimed_devices(claimed)
        for device in devices:
            audit.record(None, "device.offline", device, {"state": ("active", "offline")},
                         extra={"last_seen_at": device.last_seen_at, "offline_after_hours": hours})
        _tell(devices, (OFFLINE_OWNER_SUBJECT, OFFLINE_OWNER_BODY), (OFFLINE_SUPPLIER_SUBJECT, OFFLINE_SUPPLIER_BODY),
              lambda _device: {"hours": hours})
        db.session.commit()
        total += len(devices)
    return total


def announce_replacements(now: datetime) -> int:
    """Part 2: devices in place whose replace_by day has come are announced once to the supplier and owner."""
    today = clock.to_shanghai(now).date()
    conditions = (InstalledDevice.state.in_([s.value for s in IN_PLACE]), InstalledDevice.replace_by <= today,
                  InstalledDevice.replacement_notified_at.is_(None))
    total = 0
    for ids in _chunks(select(InstalledDevice.id).where(*conditions), InstalledDevice.id):
        claimed = db.session.scalars(
            update(InstalledDevice).where(InstalledDevice.id.in_(ids), *conditions)
            .values(replacement_notified_at=now).returning(InstalledDevice.id)
            .execution_options(synchronize_session=False)).all()
        if not claimed:
            db.session.rollback()
            continue
        devices = _claimed_devices(claimed)
        for device in devices:
            audit.record(None, "device.replacement_due", device, {"replacement_notified_at": (None, now)},
                         extra={"replace_by": device.replace_by})
        _tell(devices, (REPLACE_OWNER_SUBJECT, REPLACE_OWNER_BODY), (REPLACE_SUPPLIER_SUBJECT, REPLACE_SUPPLIER_BODY),
              lambda device: {"date": device.replace_by.isoformat()} if device is not None else {})
        db.session.commit()
        total += len(devices)
    return total


def escalate_alarms(now: datetime) -> int:
    """Part 3: alarms nobody acknowledged within ALARM_ESCALATE_MINUTES go to the district's officials."""
    minutes = int(current_app.config["ALARM_ESCALATE_MINUTES"])
    cutoff = now - timedelta(minutes=minutes)
    conditions = (Alarm.state == AlarmState.open, Alarm.escalated_at.is_(None), Alarm.opened_at < cutoff)
    total = 0
    for ids in _chunks(select(Alarm.id).where(*conditions), Alarm.id):
        claimed = db.session.scalars(
            update(Alarm).where(Alarm.id.in_(ids), *conditions).values(escalated_at=now).returning(Alarm.id)
            .execution_options(synchronize_session=False)).all()
        if not claimed:
            db.session.rollback()
            continue
        alarms = list(db.session.scalars(
            select(Alarm).where(Alarm.id.in_(claimed)).order_by(Alarm.id)
            .options(joinedload(Alarm.device), joinedload(Alarm.district))
            .execution_options(populate_existing=True)))
        for alarm in alarms:
            audit.record(None, "alarm.escalated", alarm, {"escalated_at": (None, now)},
                         extra={"device_id": alarm.device_id, "opened_at": alarm.opened_at,
                                "escalate_after_minutes": minutes})
            value = "—" if alarm.value is None else f"{alarm.value:g}"
            opened = clock.to_shanghai(alarm.opened_at).strftime("%Y-%m-%d %H:%M")
            notify([*officials_of([alarm.district_id]), *inspectors_of([alarm.district_id])],
                   ESCALATE_SUBJECT, ESCALATE_BODY,
                   params={"identifier": alarm.device.identifier, "minutes": minutes, "opened": opened,
                           "value": value, "district": alarm.district.name, "district_en": alarm.district.name_en},
                   link=f"/utility/alarms/{alarm.id}")
        db.session.commit()
        total += len(alarms)
    return total


def backfill_address_tokens() -> int:
    """Part 4: search tokens for devices that have an address but none yet (an address with no character
    pair gets empty tokens, so that it is not picked again)."""
    table = InstalledDevice.__table__
    claim = (update(table).where(table.c.id == bindparam("b_id"), table.c.address_tokens.is_(None))
             .values(address_tokens=bindparam("b_tokens")))
    candidates = select(InstalledDevice.id).where(InstalledDevice.address.is_not(None),
                                                  InstalledDevice.address_tokens.is_(None))
    total = 0
    for ids in _chunks(candidates, InstalledDevice.id):
        rows = db.session.execute(select(InstalledDevice.id, InstalledDevice.address)
                                  .where(InstalledDevice.id.in_(ids))).all()
        params = [{"b_id": row.id, "b_tokens": address_search.tokens(row.address) or ""} for row in rows]
        if params:
            result = db.session.execute(claim, params)
            total += result.rowcount if result.rowcount >= 0 else len(params)
        db.session.commit()
    return total
