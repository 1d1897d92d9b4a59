"""The gas utility handles alarms (SPEC 3.4): acknowledge, then close with an outcome. Services flush, never commit.

An alarm is opened by the event intake (devices.intake). The district's inspectors act on it; its officials
read it. Two inspectors clicking at once cannot both act: every change is a conditional UPDATE on the state
the actor saw, and the one that finds the state already moved on gets a clear message.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, select, update

from core import audit
from core.accounts.models import User
from core.clock import now_utc
from core.db import as_utc, db
from core.errors import DomainError, InvalidTransition, NotAllowed
from core.i18n import N_, _, msgid_of
from core.notifications import notify
from devices.models import ALARM_OUTCOME_TITLES, Alarm, AlarmOutcome, AlarmState, DeviceState, InstalledDevice
from suppliers.queries import staff_of

#: A note is at most this long (Alarm.note).
NOTE_MAX = 500
#: The state order of the utility's list: unacknowledged first, then those being handled, then closed.
_STATE_RANK = case({AlarmState.open.value: 0, AlarmState.acknowledged.value: 1}, value=Alarm.state, else_=2)


def can_handle(user, alarm: Alarm) -> bool:
    """An inspector of the alarm's district acknowledges and closes it."""
    return bool(getattr(user, "is_authenticated", False)) and user.is_inspector_of(alarm.district_id)


def can_view(user, alarm: Alarm) -> bool:
    """The district's inspectors, and its officials (read only)."""
    return can_handle(user, alarm) or (bool(getattr(user, "is_authenticated", False))
                                       and user.is_official_of(alarm.district_id))


def escalate_after() -> timedelta:
    return timedelta(minutes=int(current_app.config.get("ALARM_ESCALATE_MINUTES", 15)))


def minutes_open(alarm: Alarm, now: datetime | None = None) -> int:
    """Minutes from opening to closing, or to now while it is not closed."""
    end = as_utc(alarm.closed_at) if alarm.closed_at else (now or now_utc())
    return max(int((end - as_utc(alarm.opened_at)).total_seconds() // 60), 0)


def is_overdue(alarm: Alarm, now: datetime | None = None) -> bool:
    """Nobody has acknowledged it within ALARM_ESCALATE_MINUTES (it is, or is about to be, escalated)."""
    return alarm.state == AlarmState.open and as_utc(alarm.opened_at) + escalate_after() <= (now or now_utc())


def alarms_for(district_ids, state: AlarmState | None = None, page: int | None = None, per_page: int = 20):
    """A page of the districts' alarms: unacknowledged first, then being handled, then closed; newest first."""
    query = select(Alarm).where(Alarm.district_id.in_(list(district_ids) or [-1]))
    if state is not None:
        query = query.where(Alarm.state == state)
    query = query.order_by(_STATE_RANK, Alarm.opened_at.desc(), Alarm.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def _raced() -> InvalidTransition:
    return InvalidTransition(_("该报警刚被其他人处理，未作任何更改。请查看最新状态。"))


def _owner(device: InstalledDevice) -> User | None:
    return db.session.get(User, device.owner_id) if device.owner_id else None


def acknowledge(alarm: Alarm, actor, note: str | None = None) -> None:
    """open → acknowledged: the utility is responding; the resident is told."""
    if not can_handle(actor, alarm):
        raise NotAllowed()
    if alarm.state != AlarmState.open:
        raise InvalidTransition(_("该报警已关闭。") if alarm.is_closed else _("该报警已有人响应。"))
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise DomainError(_("说明最多 %(max)d 个字。", max=NOTE_MAX), field="note")
    now = now_utc()
    done = db.session.execute(
        update(Alarm).where(Alarm.id == alarm.id, Alarm.state == AlarmState.open)
        .values(state=AlarmState.acknowledged, acknowledged_at=now, acknowledged_by_id=actor.id)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise _raced()
    db.session.refresh(alarm)
    audit.record(actor, "alarm.acknowledged", alarm, {"state": ("open", "acknowledged")}, reason=note,
                 extra={"device_id": alarm.device_id})
    notify([_owner(alarm.device)], N_("燃气企业正在处理您家的燃气报警"),
           N_("设备 %(identifier)s 的报警已由燃气企业确认，正在处置。请保持门窗打开，不要开关电器、不要使用明火，"
              "注意接听燃气企业的电话。"),
           params={"identifier": alarm.device.identifier}, link="/dashboard#devices")
    db.session.flush()


def close(alarm: Alarm, actor, outcome: str, note: str | None = None) -> None:
    """open|acknowledged → closed with an outcome (an unacknowledged alarm is acknowledged at the same time).

    `referred` needs a note saying to whom. The device goes back from `alarm` to `active`; the resident and the
    supplier are told the outcome.
    """
    if not can_handle(actor, alarm):
        raise NotAllowed()
    if alarm.is_closed:
        raise InvalidTransition(_("该报警已关闭。"))
    if outcome not in AlarmOutcome.__members__:
        raise DomainError(_("请选择处置结果。"), field="outcome")
    outcome = AlarmOutcome(outcome)
    note = (note or "").strip() or None
    if outcome == AlarmOutcome.referred and not note:
        raise DomainError(_("移交时请在说明中写明移交给了谁（如消防、物业）。"), field="note")
    if note and len(note) > NOTE_MAX:
        raise DomainError(_("说明最多 %(max)d 个字。", max=NOTE_MAX), field="note")
    before, now = str(alarm.state), now_utc()
    done = db.session.execute(
        update(Alarm).where(Alarm.id == alarm.id, Alarm.state == alarm.state)
        .values(state=AlarmState.closed, closed_at=now, closed_by_id=actor.id, outcome=outcome, note=note,
                acknowledged_at=alarm.acknowledged_at or now,
                acknowledged_by_id=alarm.acknowledged_by_id or actor.id)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise _raced()
    db.session.refresh(alarm)
    audit.record(actor, "alarm.closed", alarm, {"state": (before, "closed"), "outcome": (None, outcome)},
                 reason=note, extra={"device_id": alarm.device_id})
    _device_back_to_active(alarm, actor, now)
    device = alarm.device
    params = {"identifier": device.identifier, "outcome": msgid_of(ALARM_OUTCOME_TITLES[outcome])}
    subject = N_("设备 %(identifier)s 的燃气报警已关闭：%(outcome)s")
    body = N_("燃气企业已关闭这次报警。处置结果：%(outcome)s。")
    if note:
        body, params["note"] = N_("燃气企业已关闭这次报警。处置结果：%(outcome)s。说明：%(note)s"), note
    notify([_owner(device)], subject, body, params=params, link="/dashboard#devices")
    if device.supplier_id:
        notify(staff_of(device.supplier_id), subject, body, params=params, link=f"/supplier/devices/{device.id}")
    db.session.flush()


def _device_back_to_active(alarm: Alarm, actor, now: datetime) -> None:
    """The device leaves `alarm` (if it is still there: a fault or offline since then stays)."""
    moved = db.session.execute(
        update(InstalledDevice).where(InstalledDevice.id == alarm.device_id,
                                      InstalledDevice.state == DeviceState.alarm)
        .values(state=DeviceState.active, state_at=now).execution_options(synchronize_session=False))
    if moved.rowcount:
        db.session.refresh(alarm.device)
        audit.record(actor, "device.state_changed", alarm.device, {"state": ("alarm", "active")},
                     reason=N_("报警已关闭"), extra={"alarm_id": alarm.id})
