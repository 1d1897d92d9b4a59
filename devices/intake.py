"""Event intake (SPEC 3.4): a batch of device events from a supplier's platform, in one transaction.

`ingest(key, items)` checks every item (shape, identifier, owner, time), inserts the good ones with one
`INSERT ... ON CONFLICT (supplier_id, event_id) DO NOTHING RETURNING` (so an event posted twice, in one
batch, in two batches or in two concurrent requests, is stored once and counted once as accepted), then
applies what the new events mean to the register with a handful of statements for the whole batch:

- every device that reported has `last_seen_at` moved forward (one executemany UPDATE);
- its state follows the events in time order, and only events newer than the one that set the current
  state count (`state_at`), so late deliveries never undo newer news: `alarm` → alarm, `alarm_cleared` →
  active, `fault` → fault (an alarm takes precedence), anything else brings an offline or faulty device
  back to active;
- an `alarm` opens an Alarm (at most one not-closed alarm per device, by a partial unique index) or raises
  the peak of the open one; `alarm_cleared` and `valve_closed` are noted on it;
- whoever must act is told within the request: the resident (inbox), the supplier's staff and the
  district's gas utility inspectors.

Nothing commits here; the API view commits once. Rejections name the item's index, its id and a reason
code: malformed, unknown_identifier, not_your_device, device_not_in_place, future_time.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import ARRAY, String, any_, bindparam, case, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from core import audit
from core.accounts.models import User
from core.accounts.queries import inspectors_of
from core.clock import to_shanghai
from core.db import as_utc, db, now_utc
from core.i18n import N_, _
from core.notifications import notify
from devices.models import Alarm, AlarmState, DeviceEvent, DeviceState, EventType, InstalledDevice
from devices.services import normalise_identifier
from suppliers.keys import PlatformKey
from suppliers.models import Supplier

MAX_EVENT_ID_LENGTH = 100
MAX_IDENTIFIER_LENGTH = 120
#: Events older than this are malformed (a device clock at its epoch, a typo in the year).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
#: A valve that shut within this much before the alarm's first event belongs to that alarm.
VALVE_SLACK = timedelta(minutes=1)
#: Links in notifications (paths: the intake also runs outside a request, from the demo data).
RESIDENT_LINK = "/dashboard#devices"
SUPPLIER_LINK = "/supplier/devices"
TYPES = {t.value for t in EventType}
STATE_EVENTS = {EventType.alarm, EventType.alarm_cleared, EventType.fault, EventType.heartbeat,
                EventType.low_battery, EventType.valve_closed, EventType.valve_opened}
RETIRED = {DeviceState.replaced.value, DeviceState.removed.value}


@dataclass
class Rejection:
    index: int
    id: object
    reason: str
    message: str
    field: str | None = None

    def as_json(self) -> dict:
        body = {"index": self.index, "id": self.id, "reason": self.reason, "message": self.message}
        if self.field:
            body["field"] = self.field
        return body


@dataclass
class IntakeResult:
    accepted: int = 0
    duplicate: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    #: Ids of the alarms this batch opened, and of devices whose state it changed.
    opened_alarms: list[int] = field(default_factory=list)
    state_changes: int = 0

    def as_json(self) -> dict:
        return {"accepted": self.accepted, "duplicate": self.duplicate,
                "rejected": [r.as_json() for r in self.rejected]}


@dataclass(frozen=True)
class _Event:
    index: int
    event_id: str
    device_id: int
    type: EventType
    at: datetime
    value: float | None


def parse_time(value) -> datetime | None:
    """An ISO 8601 date-time with its offset (`Z` or `+08:00`), in UTC; None for anything else."""
    if not isinstance(value, str) or not 10 < len(value) <= 40:
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment.astimezone(UTC)


def _event_id(value) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not 1 <= len(value) <= MAX_EVENT_ID_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return None
    return value


def _value(value, type_: EventType) -> tuple[bool, float | None]:
    """(ok, value): a finite number or null; an alarm's concentration is 0–100 %LEL."""
    if value is None:
        return True, None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False, None
    try:
        number = float(value)
    except OverflowError:
        return False, None
    if not math.isfinite(number) or abs(number) > 1e9:
        return False, None
    if type_ == EventType.alarm and not 0 <= number <= 100:
        return False, None
    return True, number


def _malformed(index: int, item_id, field_name: str, message: str) -> Rejection:
    return Rejection(index, item_id, "malformed", message, field_name)


def _check_item(index: int, item, now: datetime, skew: timedelta):
    """(event id, identifier, type, at, value) or a Rejection."""
    if not isinstance(item, dict):
        return _malformed(index, None, "", _("每个事件必须是一个 JSON 对象。"))
    raw_id = item.get("id")
    shown_id = raw_id if isinstance(raw_id, (str, int)) and not isinstance(raw_id, bool) else None
    event_id = _event_id(raw_id)
    if event_id is None:
        return _malformed(index, shown_id, "id", _("id 必须是 1–100 个字符的文本（或整数）。"))
    identifier = item.get("identifier")
    if not isinstance(identifier, str) or not identifier.strip() or len(identifier) > MAX_IDENTIFIER_LENGTH:
        return _malformed(index, shown_id, "identifier", _("identifier 必须是设备的工业互联网标识（文本）。"))
    type_ = item.get("type")
    if type_ not in TYPES:
        return _malformed(index, shown_id, "type", _("type 必须是以下之一：%(types)s。",
                                                      types=", ".join(t.value for t in EventType)))
    type_ = EventType(type_)
    at = parse_time(item.get("at"))
    if at is None or at < EARLIEST:
        return _malformed(index, shown_id, "at", _("at 必须是带时区的 ISO 8601 时间，例如 2026-12-04T08:30:00Z。"))
    if at > now + skew:
        return Rejection(index, shown_id, "future_time", _("事件时间晚于服务器当前时间。"), "at")
    ok, value = _value(item.get("value"), type_)
    if not ok:
        return _malformed(index, shown_id, "value", _("value 必须是数字或 null；报警浓度为 0–100（%%LEL）。"))
    return event_id, normalise_identifier(identifier), type_, at, value


def ingest(key: PlatformKey, items: list, *, now: datetime | None = None) -> IntakeResult:
    """Check, store and apply a batch of events posted with a supplier's key (flushes, never commits)."""
    if key.supplier_id is None:
        raise ValueError("only a supplier's key posts device events")
    now = now or now_utc()
    skew = timedelta(seconds=current_app.config.get("DEVICE_EVENT_MAX_SKEW_SECONDS", 300))
    result = IntakeResult()
    checked: list[tuple[int, str, str, EventType, datetime, float | None]] = []
    for index, item in enumerate(items):
        outcome = _check_item(index, item, now, skew)
        if isinstance(outcome, Rejection):
            result.rejected.append(outcome)
        else:
            checked.append((index, *outcome))
    devices = _devices_by_identifier({c[2] for c in checked})
    events: list[_Event] = []
    seen_ids: set[str] = set()
    for index, event_id, identifier, type_, at, value in checked:
        device = devices.get(identifier)
        if device is None:
            result.rejected.append(Rejection(index, event_id, "unknown_identifier",
                                             _("登记册中没有标识为 %(identifier)s 的设备。", identifier=identifier),
                                             "identifier"))
        elif device.supplier_id != key.supplier_id:
            result.rejected.append(Rejection(index, event_id, "not_your_device",
                                             _("该设备不是本单位安装的，不能上报它的事件。"), "identifier"))
        elif device.state in RETIRED:
            result.rejected.append(Rejection(index, event_id, "device_not_in_place",
                                             _("该设备已更换或拆除。"), "identifier"))
        elif event_id in seen_ids:
            result.duplicate += 1  # the same id twice in one batch: stored once
        else:
            seen_ids.add(event_id)
            events.append(_Event(index, event_id, device.id, type_, at, value))
    result.rejected.sort(key=lambda r: r.index)
    fresh = _insert(key, events, now)
    result.accepted = len(fresh)
    result.duplicate += len(events) - len(fresh)
    if fresh:
        by_device: dict[int, list[_Event]] = defaultdict(list)
        for event in fresh:
            by_device[event.device_id].append(event)
        for group in by_device.values():
            group.sort(key=lambda e: (e.at, e.index))
        rows = {d.id: d for d in devices.values() if d.id in by_device}
        _touch_last_seen(by_device)
        result.state_changes = _apply_states(key, by_device, rows)
        result.opened_alarms = _apply_alarms(key, by_device, rows, now)
        _tell_about_faults(key, by_device, rows)
    db.session.flush()
    return result


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _devices_by_identifier(identifiers: set[str]) -> dict:
    if not identifiers:
        return {}
    table = InstalledDevice.__table__
    wanted = sorted(identifiers)
    # PostgreSQL: one array parameter instead of 500 placeholders for the driver to parse
    condition = (table.c.identifier == any_(bindparam("identifiers", wanted, type_=ARRAY(String))) if _postgresql()
                 else table.c.identifier.in_(wanted))
    rows = db.session.execute(select(table.c.id, table.c.identifier, table.c.supplier_id, table.c.district_id,
                                     table.c.owner_id, table.c.state, table.c.state_at).where(condition))
    return {row.identifier: row for row in rows}


#: PostgreSQL takes a batch as arrays (unnest), in event id order: one statement, five parameters.
_PG_INSERT = text("""
    INSERT INTO device_event (supplier_id, event_id, device_id, type, at, value, received_at, key_id)
    SELECT :supplier_id, u.event_id, u.device_id, u.type, u.at, u.value, :received_at, :key_id
    FROM unnest(CAST(:event_ids AS varchar[]), CAST(:device_ids AS integer[]), CAST(:types AS varchar[]),
                CAST(:ats AS timestamptz[]), CAST(:vals AS double precision[]))
         WITH ORDINALITY AS u(event_id, device_id, type, at, value, n)
    ORDER BY u.n
    ON CONFLICT (supplier_id, event_id) DO NOTHING
    RETURNING event_id""")
#: ... and moves last_seen_at forward in one statement, after locking the rows in id order (no deadlocks).
_PG_LOCK = text("SELECT id FROM installed_device WHERE id = ANY(CAST(:ids AS integer[])) ORDER BY id FOR UPDATE")
_PG_TOUCH = text("""
    UPDATE installed_device AS d SET last_seen_at = v.seen, updated_at = :now
    FROM unnest(CAST(:ids AS integer[]), CAST(:seens AS timestamptz[])) AS v(id, seen)
    WHERE d.id = v.id AND (d.last_seen_at IS NULL OR d.last_seen_at < v.seen)""")


def _insert_statement(dialect: str):
    module = postgresql if dialect == "postgresql" else sqlite
    return (module.insert(DeviceEvent.__table__)
            .on_conflict_do_nothing(index_elements=["supplier_id", "event_id"])
            .returning(DeviceEvent.__table__.c.event_id))


def _insert(key: PlatformKey, events: list[_Event], now: datetime) -> list[_Event]:
    """Store the events; the ones stored now (not before), by the database's word."""
    if not events:
        return []
    ordered = sorted(events, key=lambda e: e.event_id)  # one lock order for every request: no deadlocks
    if _postgresql():
        inserted = set(db.session.execute(_PG_INSERT, {
            "supplier_id": key.supplier_id, "received_at": now, "key_id": key.id,
            "event_ids": [e.event_id for e in ordered], "device_ids": [e.device_id for e in ordered],
            "types": [e.type.value for e in ordered], "ats": [e.at for e in ordered],
            "vals": [e.value for e in ordered]}).scalars())
    else:
        rows = [{"supplier_id": key.supplier_id, "event_id": e.event_id, "device_id": e.device_id,
                 "type": e.type.value, "at": e.at, "value": e.value, "received_at": now, "key_id": key.id}
                for e in ordered]
        inserted = set(db.session.execute(_insert_statement("sqlite"), rows).scalars())
    return [e for e in events if e.event_id in inserted]


def _touch_last_seen(by_device: dict[int, list[_Event]]) -> None:
    ids = sorted(by_device)
    if _postgresql():
        db.session.execute(_PG_LOCK, {"ids": ids})
        db.session.execute(_PG_TOUCH, {"ids": ids, "seens": [by_device[i][-1].at for i in ids], "now": now_utc()})
        return
    table = InstalledDevice.__table__
    seen = bindparam("seen", type_=table.c.last_seen_at.type)
    statement = (update(table).where(table.c.id == bindparam("device"))
                 .values(last_seen_at=case((or_(table.c.last_seen_at.is_(None), table.c.last_seen_at < seen), seen),
                                           else_=table.c.last_seen_at)))
    db.session.execute(statement, [{"device": device_id, "seen": group[-1].at}
                                   for device_id, group in sorted(by_device.items())])


def next_state(current: str, event: EventType) -> str:
    """The state a device is in after `event`, from `current` (SPEC 3.4)."""
    if event == EventType.alarm:
        return DeviceState.alarm.value
    if current == DeviceState.alarm.value:
        return DeviceState.active.value if event == EventType.alarm_cleared else current
    if event == EventType.fault:
        return DeviceState.fault.value
    if current in (DeviceState.offline.value, DeviceState.fault.value) and event != EventType.alarm_cleared:
        return DeviceState.active.value
    return current


def _apply_states(key: PlatformKey, by_device: dict[int, list[_Event]], rows: dict) -> int:
    changed = 0
    table = InstalledDevice.__table__
    for device_id, group in sorted(by_device.items()):
        row = rows[device_id]
        since = as_utc(row.state_at)
        state, state_at = str(row.state), since
        for event in group:
            if event.type not in STATE_EVENTS or (since is not None and event.at < since):
                continue
            after = next_state(state, event.type)
            if after != state:
                state, state_at = after, event.at
        if state == str(row.state):
            continue
        # claimed only if nobody changed the device meanwhile (another batch, the sweep, a closed alarm)
        claimed = db.session.execute(update(table).where(table.c.id == device_id, table.c.state == row.state)
                                     .values(state=state, state_at=state_at).returning(table.c.id)).first()
        if claimed is None:
            continue
        changed += 1
        target = db.session.get(InstalledDevice, device_id)
        audit.record(key.actor, "device.state_changed", target, {"state": (str(row.state), state)},
                     extra={"identifier": target.identifier, "at": state_at, "key": key.prefix})
    return changed


def _apply_alarms(key: PlatformKey, by_device: dict[int, list[_Event]], rows: dict, now: datetime) -> list[int]:
    alarming = {d: [e for e in g if e.type == EventType.alarm] for d, g in by_device.items()}
    alarming = {d: g for d, g in alarming.items() if g}
    noted = {d for d, g in by_device.items() if any(e.type in (EventType.alarm_cleared, EventType.valve_closed)
                                                     for e in g)}
    if not alarming and not noted:
        return []
    wanted = set(alarming) | noted
    current = {a.device_id: a for a in db.session.scalars(
        select(Alarm).where(Alarm.device_id.in_(sorted(wanted)), Alarm.state != AlarmState.closed))}
    last_closed = dict(db.session.execute(
        select(Alarm.device_id, Alarm.closed_at).where(Alarm.device_id.in_(sorted(alarming)),
                                                       Alarm.state == AlarmState.closed)
        .order_by(Alarm.closed_at)).all()) if alarming else {}
    opened = []
    for device_id, group in sorted(alarming.items()):
        peak = max((e.value for e in group if e.value is not None), default=None)
        alarm = current.get(device_id)
        if alarm is None:
            closed_at = as_utc(last_closed.get(device_id))
            episode = [e for e in group if closed_at is None or e.at > closed_at]
            if not episode:
                continue  # a late delivery of an alarm the utility has already closed
            alarm = _open_alarm(key, rows[device_id], episode, now)
            if alarm is None:  # another request opened it a moment ago
                alarm = db.session.scalar(select(Alarm).where(Alarm.device_id == device_id,
                                                              Alarm.state != AlarmState.closed))
            else:
                opened.append(alarm)
            if alarm is None:
                continue
            current[device_id] = alarm
        if peak is not None and (alarm.value is None or peak > alarm.value):
            alarm.value = peak
    for device_id in sorted(noted):
        alarm = current.get(device_id)
        if alarm is None:
            continue
        opened_at = as_utc(alarm.opened_at)
        for event in by_device[device_id]:
            if event.type == EventType.alarm_cleared and event.at >= opened_at:
                alarm.cleared_at = max(filter(None, [as_utc(alarm.cleared_at), event.at]))
            elif event.type == EventType.valve_closed and event.at >= opened_at - VALVE_SLACK:
                if alarm.valve_closed_at is None or event.at < as_utc(alarm.valve_closed_at):
                    alarm.valve_closed_at = event.at
    db.session.flush()
    for alarm in opened:
        _announce(key, alarm, rows[alarm.device_id])
    return [a.id for a in opened]


def _open_alarm(key: PlatformKey, row, episode: list[_Event], now: datetime) -> Alarm | None:
    table = Alarm.__table__
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    first = episode[0]
    peak = max((e.value for e in episode if e.value is not None), default=None)
    statement = (module.insert(table).values(
        device_id=row.id, district_id=row.district_id, supplier_id=row.supplier_id, state=AlarmState.open.value,
        opened_at=first.at, value=peak, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["device_id"], index_where=table.c.state != "closed")
        .returning(table.c.id))
    alarm_id = db.session.execute(statement).scalar()
    if alarm_id is None:
        return None
    alarm = db.session.get(Alarm, alarm_id)
    audit.record(key.actor, "alarm.opened", alarm, {"state": (None, "open")},
                 extra={"identifier": row.identifier, "value": peak, "opened_at": first.at,
                        "event_id": first.event_id, "key": key.prefix})
    return alarm


def _staff(supplier_id: int | None) -> list[User]:
    supplier = db.session.get(Supplier, supplier_id) if supplier_id else None
    return [u for u in (supplier.staff if supplier else []) if u.active]


def _announce(key: PlatformKey, alarm: Alarm, row) -> None:
    """Tell the resident, the supplier's staff and the district's inspectors, in this transaction."""
    params = {"identifier": row.identifier, "when": to_shanghai(as_utc(alarm.opened_at)).strftime("%Y-%m-%d %H:%M"),
              "value": "—" if alarm.value is None else f"{alarm.value:g}"}
    owner = db.session.get(User, row.owner_id) if row.owner_id else None
    if owner is not None:
        notify([owner], N_("燃气泄漏报警：请立即处置"),
               N_("您的燃气报警装置 %(identifier)s 于 %(when)s 报警（浓度 %(value)s %%LEL）。请立即关闭燃气阀门、"
                  "打开门窗通风，不要开关电器、不要使用明火，到室外后拨打燃气企业电话或 119。燃气企业已同时收到报警。"),
               params=params, link=RESIDENT_LINK)
    notify(_staff(row.supplier_id), N_("设备报警：%(identifier)s"),
           N_("贵单位安装的设备 %(identifier)s 于 %(when)s 报警（浓度 %(value)s %%LEL）。"
              "请联系用户并配合燃气企业处置。"),
           params=params, link=SUPPLIER_LINK)
    notify(inspectors_of([row.district_id]), N_("新的燃气报警：%(identifier)s"),
           N_("设备 %(identifier)s 于 %(when)s 报警（浓度 %(value)s %%LEL），等待燃气企业响应。"),
           params=params, link=f"/utility/alarms/{alarm.id}")


def _tell_about_faults(key: PlatformKey, by_device: dict[int, list[_Event]], rows: dict) -> None:
    """A fault or a low battery: the supplier's staff are told once per device and batch."""
    for device_id, group in sorted(by_device.items()):
        kinds = {e.type for e in group} & {EventType.fault, EventType.low_battery}
        if not kinds:
            continue
        row = rows[device_id]
        subject = N_("设备故障：%(identifier)s") if EventType.fault in kinds else N_("设备电量低：%(identifier)s")
        notify(_staff(row.supplier_id), subject,
               N_("请联系用户检修或更换电池，确保设备正常工作。"), params={"identifier": row.identifier},
               link=SUPPLIER_LINK)
