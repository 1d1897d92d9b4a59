"""The devices sweep: offline, replacement due, alarm escalation, address tokens; idempotent and race-safe."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import AuditEntry
from core.db import as_utc, db
from core.notifications import Notification
from core.permissions import Role
from devices import address_search
from devices import sweep as sweep_module
from devices.models import Alarm, AlarmState, Carrier, DeviceState, InstalledDevice
from devices.sweep import sweep
from tests.conftest import make_user
from tests.devices.factories import make_device, make_device_world
from tests.suppliers.factories import make_staff

POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


@pytest.fixture
def world():
    return make_device_world()


def _notes(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)
                                   .order_by(Notification.id)))


def _audits(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _counts() -> tuple[int, int]:
    return (db.session.scalar(select(func.count()).select_from(Notification)),
            db.session.scalar(select(func.count()).select_from(AuditEntry)))


def _alarm(device, *, minutes_ago: float, state=AlarmState.open, escalated_at=None, value=35.0) -> Alarm:
    alarm = Alarm(device_id=device.id, district_id=device.district_id, supplier_id=device.supplier_id,
                  opened_at=clock.now_utc() - timedelta(minutes=minutes_ago), value=value, state=state,
                  escalated_at=escalated_at,
                  acknowledged_at=clock.now_utc() if state != AlarmState.open else None)
    db.session.add(alarm)
    db.session.commit()
    return alarm


# --- 1. offline -----------------------------------------------------------------------------------------------

def test_silent_monitored_devices_go_offline(world):
    now = clock.now_utc()
    never = make_device(world.supplier, world.product, world.resident, carrier=Carrier.active)
    stale = make_device(world.supplier, world.product, world.resident, carrier=Carrier.passive,
                        last_seen_at=now - timedelta(hours=25))
    fresh = make_device(world.supplier, world.product, world.resident, last_seen_at=now - timedelta(hours=23))
    passive = make_device(world.supplier, world.product, world.resident, carrier=Carrier.passive)  # never monitored
    alarming = make_device(world.supplier, world.product, world.resident, state=DeviceState.alarm,
                           last_seen_at=now - timedelta(days=3))
    new = make_device(world.supplier, world.product, world.resident, installed_days_ago=0)  # installed just now

    result = sweep(now)

    assert result.offline == 2
    for device in (never, stale, fresh, passive, alarming, new):
        db.session.refresh(device)
    assert never.state == stale.state == DeviceState.offline
    assert as_utc(never.state_at) == now
    assert fresh.state == passive.state == new.state == DeviceState.active
    assert alarming.state == DeviceState.alarm
    entries = _audits("device.offline")
    assert sorted(int(e.target_id) for e in entries) == sorted([never.id, stale.id])
    assert all(e.actor_id is None and e.actor_label == "system" for e in entries)
    assert all(e.before == {"state": "active"} and e.after["state"] == "offline" for e in entries)


def test_offline_tells_the_owner_per_device_and_the_supplier_once(world):
    colleague = make_staff(world.supplier)
    a = make_device(world.supplier, world.product, world.resident)
    b = make_device(world.supplier, world.product, world.other_resident)
    other = make_device(world.other_supplier, world.other_product, world.resident)
    sweep()
    mine = _notes(world.resident)
    assert len(mine) == 2 and {n.params["identifier"] for n in mine} == {a.identifier, other.identifier}
    assert all(n.link == "/dashboard#devices" and "离线" in n.subject_text for n in mine)
    assert "24" in mine[0].body_text
    for staff in (world.staff, colleague):
        (note,) = _notes(staff)
        assert note.link == "/supplier/devices" and note.params["count"] == 2
        assert a.identifier in note.body_text and b.identifier in note.body_text
        assert other.identifier not in note.body_text
    (other_note,) = _notes(world.other_staff)
    assert other_note.params["count"] == 1 and other.identifier in other_note.body_text


def test_offline_hours_is_a_setting(app, world):
    device = make_device(world.supplier, world.product, world.resident,
                         last_seen_at=clock.now_utc() - timedelta(hours=5))
    app.config["DEVICE_OFFLINE_HOURS"] = 4
    try:
        assert sweep().offline == 1
    finally:
        app.config["DEVICE_OFFLINE_HOURS"] = 24
    db.session.refresh(device)
    assert device.state == DeviceState.offline


def test_device_without_owner_or_supplier_is_still_marked(world):
    device = make_device(None, None, None)
    assert sweep().offline == 1
    db.session.refresh(device)
    assert device.state == DeviceState.offline


# --- 2. replacement due ---------------------------------------------------------------------------------------

def test_replacement_due_on_the_shanghai_day(world):
    day = clock.today_shanghai() + timedelta(days=10)
    due = make_device(world.supplier, world.product, world.resident, replace_by=day,
                      last_seen_at=clock.now_utc())
    removed = make_device(world.supplier, world.product, world.resident, replace_by=day,
                          state=DeviceState.removed)
    later = make_device(world.supplier, world.product, world.resident, replace_by=day + timedelta(days=1))
    before_midnight = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=8, minutes=1)
    assert sweep(before_midnight).replacement_due == 0  # 23:59 the day before in Shanghai
    midnight = before_midnight + timedelta(minutes=1)
    assert sweep(midnight).replacement_due == 1
    for device in (due, removed, later):
        db.session.refresh(device)
    assert as_utc(due.replacement_notified_at) == midnight
    assert removed.replacement_notified_at is None and later.replacement_notified_at is None
    (entry,) = _audits("device.replacement_due")
    assert entry.target_id == str(due.id) and entry.actor_id is None and entry.after["replace_by"] == day.isoformat()
    notes = [n for n in _notes(world.resident) if n.subject == sweep_module.REPLACE_OWNER_SUBJECT]
    assert len(notes) == 1 and notes[0].params == {"identifier": due.identifier, "date": day.isoformat()}
    assert notes[0].link == "/dashboard#devices"
    staff_notes = [n for n in _notes(world.staff) if n.subject == sweep_module.REPLACE_SUPPLIER_SUBJECT]
    assert len(staff_notes) == 1 and due.identifier in staff_notes[0].body_text
    # a later run (even days later) does not announce it again
    assert sweep(midnight + timedelta(days=3)).replacement_due == 1  # only `later`, now due
    db.session.refresh(later)
    assert later.replacement_notified_at is not None


def test_offline_device_due_for_replacement_is_announced_too(world):
    device = make_device(world.supplier, world.product, world.resident, state=DeviceState.offline,
                         replace_by=clock.today_shanghai())
    assert sweep().replacement_due == 1
    db.session.refresh(device)
    assert device.replacement_notified_at is not None


# --- 3. escalation --------------------------------------------------------------------------------------------

def test_unacknowledged_alarm_escalates_to_the_districts_officials_and_inspectors(world):
    second_official = make_user(Role.district_official, districts=("500103",))
    device = make_device(world.supplier, world.product, world.resident, state=DeviceState.alarm,
                         last_seen_at=clock.now_utc())
    late = _alarm(device, minutes_ago=16, value=42.5)
    quiet_device = make_device(world.supplier, world.product, world.other_resident, state=DeviceState.alarm)
    early = _alarm(quiet_device, minutes_ago=10)
    handled = _alarm(make_device(world.supplier, world.product, None), minutes_ago=60,
                     state=AlarmState.acknowledged)
    done = _alarm(make_device(world.supplier, world.product, None), minutes_ago=60,
                  escalated_at=clock.now_utc() - timedelta(minutes=40))

    result = sweep()

    assert result.escalated == 1
    for alarm in (late, early, handled, done):
        db.session.refresh(alarm)
    assert late.escalated_at is not None and early.escalated_at is None and handled.escalated_at is None
    (entry,) = _audits("alarm.escalated")
    assert entry.target_type == "Alarm" and entry.target_id == str(late.id) and entry.actor_id is None
    for user in (world.official, second_official, world.inspector):
        (note,) = _notes(user)
        assert note.link == f"/utility/alarms/{late.id}"
        assert device.identifier in note.subject_text and "15" in note.subject_text
        assert "42.5" in note.body_text and "渝中区" in note.body_text and "%LEL" in note.body_text
    assert _notes(world.other_official) == [] and _notes(world.other_inspector) == []


def test_escalation_minutes_is_a_setting(app, world):
    alarm = _alarm(make_device(world.supplier, world.product, None, state=DeviceState.alarm), minutes_ago=6)
    app.config["ALARM_ESCALATE_MINUTES"] = 5
    try:
        assert sweep().escalated == 1
    finally:
        app.config["ALARM_ESCALATE_MINUTES"] = 15
    db.session.refresh(alarm)
    assert alarm.escalated_at is not None


# --- 4. address tokens ----------------------------------------------------------------------------------------

def test_address_tokens_backfilled_in_chunks(world, monkeypatch):
    monkeypatch.setattr(sweep_module, "CHUNK", 2)
    devices = [make_device(world.supplier, world.product, world.resident, address=f"民族路 {n} 号",
                           last_seen_at=clock.now_utc()) for n in range(5)]
    short = make_device(world.supplier, world.product, world.resident, address="甲", last_seen_at=clock.now_utc())
    db.session.execute(InstalledDevice.__table__.update().values(address_tokens=None))
    db.session.commit()
    assert sweep().tokens == 6
    for device in devices:
        db.session.refresh(device)
        assert device.address_tokens == address_search.tokens(device.address)
    db.session.refresh(short)
    assert short.address_tokens == ""
    assert sweep().tokens == 0
    found = db.session.scalars(select(InstalledDevice.id).where(
        address_search.matches(InstalledDevice.address_tokens, "民族路 3"))).all()
    assert found == [devices[3].id]


def test_chunks_cover_every_candidate(world, monkeypatch):
    monkeypatch.setattr(sweep_module, "CHUNK", 2)
    for _ in range(5):
        make_device(world.supplier, world.product, world.resident)
    assert sweep().offline == 5
    assert len(_notes(world.resident)) == 5
    assert len(_notes(world.staff)) == 3  # one per chunk


# --- idempotence and races ------------------------------------------------------------------------------------

def test_second_run_changes_nothing_and_sends_nothing(world):
    make_device(world.supplier, world.product, world.resident)
    make_device(world.supplier, world.product, world.resident, replace_by=clock.today_shanghai(),
                last_seen_at=clock.now_utc())
    _alarm(make_device(world.supplier, world.product, None, state=DeviceState.alarm), minutes_ago=30)
    first = sweep()
    assert (first.offline, first.replacement_due, first.escalated) == (1, 1, 1)
    counts = _counts()
    second = sweep()
    assert (second.offline, second.replacement_due, second.escalated, second.tokens) == (0, 0, 0, 0)
    assert _counts() == counts


def test_a_device_changed_after_it_was_picked_is_not_claimed(world, monkeypatch):
    """The claim repeats every condition: a heartbeat between the pick and the claim keeps the device active."""
    device = make_device(world.supplier, world.product, world.resident)
    real_chunks = sweep_module._chunks

    def chunks_then_heartbeat(query, column):
        for ids in real_chunks(query, column):
            if column is InstalledDevice.id and device.id in ids:
                db.session.execute(InstalledDevice.__table__.update().where(
                    InstalledDevice.__table__.c.id == device.id).values(last_seen_at=clock.now_utc()))
            yield ids

    monkeypatch.setattr(sweep_module, "_chunks", chunks_then_heartbeat)
    assert sweep().offline == 0
    db.session.refresh(device)
    assert device.state == DeviceState.active
    assert _notes(world.resident) == [] and _audits("device.offline") == []


def _sweep_in_thread(app, now, barrier, results, errors):
    with app.app_context():
        try:
            barrier.wait(timeout=30)
            results.append(sweep(now))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            db.session.remove()


@pytest.mark.skipif(not POSTGRES, reason="two sweeps at once need PostgreSQL (TEST_DATABASE_URL); "
                                          "SQLite serialises writers anyway")
def test_two_sweeps_at_once_notify_each_device_once(app, world, monkeypatch):
    monkeypatch.setattr(sweep_module, "CHUNK", 7)
    residents = [make_user(Role.resident) for _ in range(30)]
    devices = [make_device(world.supplier, world.product, r, replace_by=clock.today_shanghai()) for r in residents]
    alarms = [_alarm(make_device(world.other_supplier, world.other_product, None, state=DeviceState.alarm),
                     minutes_ago=20) for _ in range(10)]
    db.session.execute(InstalledDevice.__table__.update().values(address_tokens=None))
    db.session.commit()
    now = clock.now_utc()
    barrier, results, errors = threading.Barrier(2), [], []
    threads = [threading.Thread(target=_sweep_in_thread, args=(app, now, barrier, results, errors)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    db.session.expire_all()
    assert errors == [] and len(results) == 2
    assert sum(r.offline for r in results) == len(devices)  # the alarm devices are not `active`
    assert sum(r.replacement_due for r in results) == len(devices)
    assert sum(r.escalated for r in results) == len(alarms)
    for resident, device in zip(residents, devices, strict=True):
        notes = _notes(resident)
        assert sorted(n.subject for n in notes) == sorted([sweep_module.OFFLINE_OWNER_SUBJECT,
                                                           sweep_module.REPLACE_OWNER_SUBJECT])
        assert all(n.params["identifier"] == device.identifier for n in notes)
    assert len(_audits("device.offline")) == len(devices)
    assert len({e.target_id for e in _audits("device.offline")}) == len(devices)
    assert len(_audits("device.replacement_due")) == len(devices)
    assert len(_audits("alarm.escalated")) == len(alarms)
    assert len(_notes(world.official)) == len(alarms) and len(_notes(world.inspector)) == len(alarms)
    staff_named = [n.params["identifiers"] for n in _notes(world.staff)
                   if n.subject == sweep_module.OFFLINE_SUPPLIER_SUBJECT]
    named = [i for text in staff_named for i in text.split(", ")]
    assert sorted(named) == sorted(d.identifier for d in devices)
    assert db.session.scalar(select(func.count()).select_from(InstalledDevice).where(
        InstalledDevice.address_tokens.is_(None))) == 0
