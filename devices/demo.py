"""Demo device data (SPEC 3.4, issue 14 item 6): platform keys, heartbeats, an open and a closed alarm in 渝中区,
an offline device. Idempotent and deterministic; runs after orders.demo, which installs the demo devices.

- the demo orders' devices (orders.demo records them through devices.services) are only checked: each must have
  its address (copied from the order); one that has none is named on the console and left alone;
- platform keys with FIXED tokens (development only: seed-demo is refused in production, and so is
  `ensure_demo_key`): one per demo company whose devices report (always supplier1@demo.local's company, printed
  first), and a gas utility's key for 渝中区 (500103). They are stored like every key: the prefix and the SHA-256
  of the token (suppliers.keys), never the token;
- three days of heartbeats (one a day) for every monitored demo device (active carrier), posted through the real
  intake (devices.intake.ingest) with its company's demo key; event ids are deterministic (`demo-hb-<device id>-
  <days ago>`), so a second run posts duplicates only and adds nothing;
- an OPEN alarm at a leak alarm of resident@demo.local's household in 渝中区 (18 %LEL a few minutes ago, then its
  linked valve closed), which the intake announces to the resident, the company's staff and the district's
  inspectors;
- a CLOSED alarm at another 渝中区 household's leak alarm two days ago (cleared by the device, acknowledged and
  closed `leak_fixed` by the district's inspector, with a note): the alarm's fields are set directly, with the
  audit entries and notifications that devices.alarms.close writes, because the demo needs times in the past;
- an OFFLINE device: its last heartbeat two days ago, marked `offline` by a conditional update, audited and told
  to its owner and company as the sweep (devices.sweep) does.

All times are relative to core.clock.now_utc(). NOTE: the demo orders install their devices "now" (an order can
only be installed after it is paid, and the demo pays them now), so the demo's older heartbeats and its closed
alarm are dated before the installation time the register shows (they still count: last_seen_at, the alarm
record), and the open alarm is dated just after the installation when that was less than six minutes ago (an
event older than the one that set a device's state does not move it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import click
from flask import current_app
from sqlalchemy import select, update

from catalog.models import DeviceType
from core import audit, clock
from core.accounts.models import User
from core.db import as_utc, db
from core.districts import District
from core.i18n import N_, msgid_of
from core.notifications import notify
from devices import intake
from devices.models import (
    ALARM_OUTCOME_TITLES,
    IN_PLACE,
    Alarm,
    AlarmOutcome,
    AlarmState,
    Carrier,
    DeviceState,
    EventType,
    InstalledDevice,
)
from devices.sweep import OFFLINE_OWNER_BODY, OFFLINE_OWNER_SUBJECT, OFFLINE_SUPPLIER_BODY, OFFLINE_SUPPLIER_SUBJECT
from suppliers import keys
from suppliers.demo import COMPANIES
from suppliers.models import Supplier
from suppliers.queries import staff_of, supplier_of

#: The district of the demo's alarms and of the utility key.
DISTRICT = "500103"
RESIDENT = "resident@demo.local"
INSPECTOR = f"inspector.{DISTRICT}@demo.local"
#: The company whose key seed-demo prints first (the brief's "supplier1").
FIRST_SUPPLIER = 1
SUPPLIER_KEY_NAME = "演示设备平台（演示数据）"
UTILITY_KEY_NAME = "渝中区燃气企业监控平台（演示数据）"
HEARTBEAT_DAYS = 3
BATCH = 500

OPEN_ALARM_VALUE = 18.0
CLOSED_ALARM_VALUE = 12.0
CLOSED_ALARM_NOTE = "入户检查：灶具进气软管老化开裂，已关阀更换软管，复测无泄漏，报警器与阀门联动正常。"


def supplier_token(n: int) -> str:
    """The fixed demo key of demo company n (supplier{n}@demo.local): `gsk_<10 hex>_<43 url-safe>`."""
    return f"gsk_de0000{n:04d}_" + f"DEMO-only-device-platform-of-supplier{n:02d}".ljust(43, "0")


def utility_token() -> str:
    """The fixed demo key of the gas utility of 渝中区."""
    return f"gsk_de00{DISTRICT}_" + f"DEMO-only-gas-utility-of-district-{DISTRICT}".ljust(43, "0")


for _token in (supplier_token(1), supplier_token(len(COMPANIES)), utility_token()):
    assert keys.KEY_PATTERN.match(_token), _token  # noqa: S101 - a typo here would break seed-demo at import


def _prefix(token: str) -> str:
    return keys.KEY_PATTERN.match(token).group(1)


def ensure_demo_key(token: str, *, name: str, supplier=None, districts: list[District] | None = None
                    ) -> keys.PlatformKey | None:
    """The key with this fixed token, created (audited, stored hashed) unless it exists; None when its prefix
    belongs to another key (a different token or owner: left alone)."""
    if current_app.config.get("ENV_NAME") == "production":
        raise RuntimeError("demo platform keys are refused with the production configuration")
    prefix = _prefix(token)
    key = db.session.scalar(select(keys.PlatformKey).where(keys.PlatformKey.prefix == prefix))
    if key is not None:
        same_owner = (key.supplier_id == getattr(supplier, "id", None)
                      and key.district_ids == {d.id for d in districts or []})
        return key if same_owner and key.secret_hash == keys._digest(token) else None
    key = keys.PlatformKey(prefix=prefix, secret_hash=keys._digest(token), name=name,
                           supplier_id=getattr(supplier, "id", None), districts=list(districts or []))
    db.session.add(key)
    db.session.flush()
    audit.record(None, "platform_key.created", key, {"prefix": (None, prefix), "name": (None, name)},
                 reason="demo data", extra={"kind": key.kind, "supplier_id": key.supplier_id,
                                            "districts": [d.code for d in key.districts], "demo": True})
    return key


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _demo_companies() -> dict[int, int]:
    """{supplier id: n} of the demo companies (the company of supplier{n}@demo.local)."""
    found = {}
    for n in range(1, len(COMPANIES) + 1):
        staff = _user(f"supplier{n}@demo.local")
        company = supplier_of(staff) if staff is not None else None
        if company is not None:
            found.setdefault(company.id, n)
    return found


def _utility_district() -> District | None:
    return db.session.scalar(select(District).where(District.code == DISTRICT))


def demo_devices() -> list[InstalledDevice]:
    """The devices of the demo orders (sold through the platform to a demo account), by id."""
    return list(db.session.scalars(
        select(InstalledDevice).join(User, User.id == InstalledDevice.owner_id)
        .where(InstalledDevice.order_id.is_not(None), User.email.like("%@demo.local"))
        .order_by(InstalledDevice.id)))


@dataclass
class Plan:
    """Which demo devices play which part (chosen the same way on every run)."""

    monitored: list[InstalledDevice]
    open_alarm: InstalledDevice | None
    closed_alarm: InstalledDevice | None
    offline: InstalledDevice | None


def plan(devices: list[InstalledDevice]) -> Plan:
    """Monitored devices (active carrier, in place, sold by a company); the open alarm at resident@demo.local's
    leak alarm in 渝中区 (else another 渝中区 device), the closed one at another household's, the offline one."""
    monitored = [d for d in devices if d.carrier == Carrier.active and d.state in IN_PLACE and d.supplier_id]
    district = _utility_district()
    local = sorted((d for d in monitored if district is not None and d.district_id == district.id),
                   key=lambda d: (d.device_type != DeviceType.leak_alarm, d.id))
    resident = _user(RESIDENT)
    open_alarm = next((d for d in local if resident is not None and d.owner_id == resident.id), None)
    open_alarm = open_alarm or next(iter(local), None)
    rest = [d for d in local if d is not open_alarm]
    closed = next((d for d in rest if open_alarm is None or d.owner_id != open_alarm.owner_id), None)
    closed = closed or next(iter(rest), None)
    offline = next((d for d in sorted(monitored, key=lambda d: (d.device_type != DeviceType.leak_alarm, d.id))
                    if d is not open_alarm and d is not closed), None)
    return Plan(monitored, open_alarm, closed, offline)


def _event(event_id: str, device: InstalledDevice, type_: EventType, at: datetime, value: float | None = None):
    return {"id": event_id, "identifier": device.identifier, "type": type_.value, "at": at.isoformat(),
            "value": value}


def closed_alarm_times(now: datetime) -> dict[str, datetime]:
    """The closed demo alarm: two days ago (after that day's heartbeat), cleared, acknowledged and closed."""
    opened = now - timedelta(days=2) + timedelta(hours=2)
    return {"opened": opened, "valve": opened + timedelta(seconds=15), "cleared": opened + timedelta(minutes=25),
            "acknowledged": opened + timedelta(minutes=4), "closed": opened + timedelta(minutes=48)}


def open_alarm_time(device: InstalledDevice, now: datetime) -> datetime:
    """A few minutes ago, but after the event that set the device's state (its installation, which the demo
    orders date "now"): the intake lets only newer events move the state, and the device must show `alarm`."""
    since = as_utc(device.state_at) or as_utc(device.installed_at)
    return min(max(now - timedelta(minutes=6), since + timedelta(seconds=1)), now)


def events_for(device: InstalledDevice, parts: Plan, now: datetime) -> list[dict]:
    """The device's demo events, oldest first."""
    days = [HEARTBEAT_DAYS - 1] if device is parts.offline else range(HEARTBEAT_DAYS - 1, -1, -1)
    events = [_event(f"demo-hb-{device.id}-{k}", device, EventType.heartbeat, now - timedelta(days=k, minutes=20))
              for k in days]
    if device is parts.closed_alarm:
        times = closed_alarm_times(now)
        events += [_event(f"demo-alarm-{device.id}-closed", device, EventType.alarm, times["opened"],
                          CLOSED_ALARM_VALUE),
                   _event(f"demo-valve-{device.id}-closed", device, EventType.valve_closed, times["valve"]),
                   _event(f"demo-cleared-{device.id}-closed", device, EventType.alarm_cleared, times["cleared"])]
    if device is parts.open_alarm:
        opened = open_alarm_time(device, now)
        events += [_event(f"demo-alarm-{device.id}-open", device, EventType.alarm, opened, OPEN_ALARM_VALUE),
                   _event(f"demo-valve-{device.id}-open", device, EventType.valve_closed,
                          opened + min(timedelta(seconds=20), (now - opened) / 2))]
    return sorted(events, key=lambda e: e["at"])


def seed() -> None:
    """Keys, heartbeats, alarms and an offline device for the demo orders' devices (a second run adds nothing)."""
    now = clock.now_utc()
    devices = demo_devices()
    for device in devices:
        if not device.address:
            click.echo(f"devices demo: device {device.identifier} has no address (its order gave none)")
    companies = _demo_companies()
    company_keys = _ensure_keys(companies, devices)
    parts = plan(devices)
    if not parts.monitored:
        click.echo("devices demo: no monitored demo device (no demo order was installed): no device data")
        return
    opened: list[int] = []
    by_supplier: dict[int, list[dict]] = {}
    for device in parts.monitored:
        by_supplier.setdefault(device.supplier_id, []).extend(events_for(device, parts, now))
    for supplier_id, events in sorted(by_supplier.items()):
        key = company_keys.get(supplier_id)
        if key is None:
            click.echo(f"devices demo: no demo key for supplier {supplier_id}: its devices report nothing")
            continue
        for start in range(0, len(events), BATCH):
            result = intake.ingest(key, events[start:start + BATCH], now=now)
            if result.rejected:
                raise click.ClickException(f"devices demo: the intake rejected demo events: "
                                           f"{[r.as_json() for r in result.rejected]}")
            opened += result.opened_alarms
    if parts.closed_alarm is not None:
        _close_demo_alarm(parts.closed_alarm, opened, now)
    if parts.offline is not None:
        _mark_offline(parts.offline, now)
    db.session.flush()


def _ensure_keys(companies: dict[int, int], devices: list[InstalledDevice]) -> dict[int, keys.PlatformKey]:
    """{supplier id: its demo key}: for the first demo company and every demo company with monitored devices;
    and the utility key of 渝中区."""
    wanted = {sid for sid, n in companies.items() if n == FIRST_SUPPLIER}
    wanted |= {d.supplier_id for d in devices if d.carrier == Carrier.active and d.supplier_id in companies}
    found = {}
    for supplier_id in sorted(wanted):
        key = ensure_demo_key(supplier_token(companies[supplier_id]), name=SUPPLIER_KEY_NAME,
                              supplier=db.session.get(Supplier, supplier_id))
        if key is not None and key.is_active:
            found[supplier_id] = key
    district = _utility_district()
    if district is not None:
        ensure_demo_key(utility_token(), name=UTILITY_KEY_NAME, districts=[district])
    return found


def _close_demo_alarm(device: InstalledDevice, opened: list[int], now: datetime) -> None:
    """Close the alarm this run opened at `device` as the district's inspector did two days ago (leak_fixed)."""
    alarm = db.session.scalar(select(Alarm).where(Alarm.device_id == device.id, Alarm.id.in_(opened or [-1]),
                                                  Alarm.state == AlarmState.open))
    if alarm is None:
        return  # an earlier run closed it already
    inspector = _user(INSPECTOR)
    actor_id = inspector.id if inspector is not None else None
    times = closed_alarm_times(now)
    outcome = AlarmOutcome.leak_fixed
    claimed = db.session.execute(
        update(Alarm).where(Alarm.id == alarm.id, Alarm.state == AlarmState.open)
        .values(state=AlarmState.closed, acknowledged_at=times["acknowledged"], acknowledged_by_id=actor_id,
                closed_at=times["closed"], closed_by_id=actor_id, outcome=outcome, note=CLOSED_ALARM_NOTE)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return
    db.session.refresh(alarm)
    audit.record(inspector, "alarm.acknowledged", alarm, {"state": ("open", "acknowledged")},
                 reason="demo data", extra={"device_id": device.id, "acknowledged_at": times["acknowledged"]})
    audit.record(inspector, "alarm.closed", alarm, {"state": ("acknowledged", "closed"), "outcome": (None, outcome)},
                 reason=CLOSED_ALARM_NOTE, extra={"device_id": device.id, "closed_at": times["closed"],
                                                  "demo": True})
    # the same messages as devices.alarms.close
    params = {"identifier": device.identifier, "outcome": msgid_of(ALARM_OUTCOME_TITLES[outcome]),
              "note": CLOSED_ALARM_NOTE}
    subject = N_("设备 %(identifier)s 的燃气报警已关闭：%(outcome)s")
    body = N_("燃气企业已关闭这次报警。处置结果：%(outcome)s。说明：%(note)s")
    owner = db.session.get(User, device.owner_id) if device.owner_id else None
    notify([owner], subject, body, params=params, link="/dashboard#devices")
    if device.supplier_id:
        notify(staff_of(device.supplier_id), subject, body, params=params, link=f"/supplier/devices/{device.id}")


def _mark_offline(device: InstalledDevice, now: datetime) -> None:
    """The device whose last heartbeat is two days old goes `offline`, as the sweep would mark it."""
    hours = int(current_app.config["DEVICE_OFFLINE_HOURS"])
    table = InstalledDevice.__table__
    claimed = db.session.execute(
        update(table).where(table.c.id == device.id, table.c.state == DeviceState.active.value,
                            table.c.last_seen_at < now - timedelta(hours=hours))
        .values(state=DeviceState.offline.value, state_at=now).returning(table.c.id)).first()
    if claimed is None:
        return  # already offline, or it reported since
    db.session.refresh(device)
    audit.record(None, "device.offline", device, {"state": ("active", "offline")}, reason="demo data",
                 extra={"last_seen_at": device.last_seen_at, "offline_after_hours": hours})
    params = {"identifier": device.identifier, "hours": hours}
    owner = db.session.get(User, device.owner_id) if device.owner_id else None
    notify([owner], OFFLINE_OWNER_SUBJECT, OFFLINE_OWNER_BODY, params=params, link="/dashboard#devices")
    if device.supplier_id:
        notify(staff_of(device.supplier_id), OFFLINE_SUPPLIER_SUBJECT, OFFLINE_SUPPLIER_BODY,
               params={"count": 1, "identifiers": device.identifier, "hours": hours}, link="/supplier/devices")


def key_lines() -> list[str]:
    """Lines that seed-demo prints: the demo platform keys that exist and are live (development only)."""
    lines = []
    companies = _demo_companies()
    for supplier_id, n in sorted(companies.items(), key=lambda item: (item[1] != FIRST_SUPPLIER, item[1])):
        token = supplier_token(n)
        key = _live_key(token)
        if key is not None and key.supplier_id == supplier_id:
            lines.append(f"demo platform key (supplier {key.supplier.legal_name}, POST /api/v1/device-events): "
                         f"{token}")
    key = _live_key(utility_token())
    if key is not None:
        names = ", ".join(d.name for d in key.districts)
        lines.append(f"demo platform key (gas utility of {names}, GET /api/v1/utility/*): {utility_token()}")
    return lines


def _live_key(token: str) -> keys.PlatformKey | None:
    key = db.session.scalar(select(keys.PlatformKey).where(keys.PlatformKey.prefix == _prefix(token)))
    if key is None or not key.is_active or key.secret_hash != keys._digest(token):
        return None
    return key
