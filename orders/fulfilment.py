"""Fulfilment of orders (SPEC 3.3): the supplier schedules and installs, the gas utility's inspector checks.

Services flush, never commit; every state change goes through orders.services.transition.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from core import audit
from core.clock import now_utc, to_shanghai
from core.db import as_utc, db
from core.errors import DomainError, InvalidTransition, NotAllowed
from core.i18n import N_, _
from core.notifications import notify
from devices import services as device_services
from devices.services import DeviceInput
from orders.models import ORDER_STATE_TITLES, Inspection, InspectionResult, Order, OrderState
from orders.services import parties, record_event, transition
from suppliers.queries import staff_supplier_id

S = OrderState
#: How far ahead an appointment may be made when the settings name nothing (APPOINTMENT_MAX_DAYS).
DEFAULT_APPOINTMENT_MAX_DAYS = 60
#: Clock drift tolerated between the installer's phone and the server for "installed at".
INSTALL_CLOCK_SLACK = timedelta(minutes=5)


def shown_time(moment: datetime) -> str:
    """An instant as people read it in Chongqing: 2026-12-10 09:30 (language-neutral, kept in params)."""
    return to_shanghai(moment).strftime("%Y-%m-%d %H:%M")


def _require_supplier(order: Order, actor) -> None:
    if not order.can_fulfil(actor, staff_supplier_id(actor)):
        raise NotAllowed()


def _refuse_transition(order: Order, to: OrderState, *, unless: bool | None = None) -> None:
    """InvalidTransition unless the ALLOWED table (or the narrower rule `unless`) lets `order` go to `to`."""
    if not (order.can_go(to) if unless is None else unless):
        raise InvalidTransition(_("订单当前状态为“%(state)s”，不能变为“%(to)s”。",
                                  state=ORDER_STATE_TITLES[order.state], to=ORDER_STATE_TITLES[to]))


def schedule_order(order: Order, *, actor, appointment_at: datetime, note: str | None = None) -> None:
    """Set the installation appointment: paid → scheduled, or a new time for a scheduled order."""
    _require_supplier(order, actor)
    # only a paid order is scheduled, or a scheduled one moved (confirmed → scheduled is the inspector's)
    _refuse_transition(order, S.scheduled, unless=order.state in (S.paid, S.scheduled))
    now, appointment_at = now_utc(), as_utc(appointment_at).astimezone(UTC)  # SQLite keeps no offset
    if appointment_at <= now:
        raise DomainError(_("预约时间须晚于现在。"), field="appointment_date")
    max_days = int(current_app.config.get("APPOINTMENT_MAX_DAYS", DEFAULT_APPOINTMENT_MAX_DAYS))
    if appointment_at > now + timedelta(days=max_days):
        raise DomainError(_("预约时间须在 %(days)s 天以内。", days=max_days), field="appointment_date")
    note = (note or "").strip() or None
    before = order.appointment_at
    when = shown_time(appointment_at)
    order.appointment_at, order.appointment_note = appointment_at, note
    audit.record(actor, "order.appointment_set", order, {"appointment_at": (before, appointment_at)}, reason=note)
    if order.state == S.paid:
        transition(order, S.scheduled, actor=actor, message=N_("已预约上门安装时间：%(when)s"),
                   params={"when": when}, note=note)
        return
    record_event(order, N_("上门安装时间改为 %(when)s"), actor=actor, params={"when": when}, note=note)
    notify(parties(order), N_("订单 %(number)s 的上门安装时间改为 %(when)s"),
           params={"number": order.number, "when": when}, link=f"/orders/{order.id}")
    db.session.flush()


def install_order(order: Order, *, actor, installed_at: datetime, devices: list[DeviceInput]) -> None:
    """Record the installation: one device (identifier, carrier, serial) per unit ordered; scheduled → installed."""
    _require_supplier(order, actor)
    _refuse_transition(order, S.installed)
    if len(order.lines) != 1:  # one product per order today (devices.record_installation takes one product)
        raise DomainError(_("每个订单只能登记一种产品的安装。"), field="devices")
    if len(devices) != order.device_count:
        raise DomainError(_("本订单共 %(count)s 台设备，请逐台登记（现为 %(given)s 台）。",
                            count=order.device_count, given=len(devices)), field="devices")
    installed_at = as_utc(installed_at).astimezone(UTC)
    if installed_at > now_utc() + INSTALL_CLOCK_SLACK:
        raise DomainError(_("安装时间不能晚于现在。"), field="installed_date")
    # the form takes minutes: an installation recorded in the minute of the payment is not "before" it
    if order.paid_at is not None and installed_at < as_utc(order.paid_at).replace(second=0, microsecond=0):
        raise DomainError(_("安装时间不能早于订单支付时间（%(paid)s）。", paid=shown_time(order.paid_at)),
                          field="installed_date")
    line = order.lines[0]
    device_services.record_installation(
        order_id=order.id, product=line.product, owner_id=order.resident_id, district_id=order.district_id,
        township_id=order.township_id, devices=devices, installed_at=installed_at, actor=actor,
        address=order.address, household_category=order.household_category)
    transition(order, S.installed, actor=actor, message=N_("已上门安装并登记 %(count)s 台设备"),
               params={"count": len(devices)})
    order.installed_at = installed_at  # the time the installer gives, not the time it was typed in
    db.session.flush()


#: The name in the orders contract (ORDERS_CONTRACT.md).
record_installation_for_order = install_order


def record_inspection(order: Order, *, actor, passed: bool, notes: str | None) -> Inspection:
    """The gas utility's acceptance check: confirmed → inspected, or back to scheduled with the notes."""
    if not order.can_inspect(actor):
        raise NotAllowed(_("只有订单所在区县的燃气企业安检员可以验收。"))
    target = S.inspected if passed else S.scheduled
    if order.state != S.confirmed:
        if order.state == S.installed:
            raise InvalidTransition(_("用户尚未确认安装，确认后（或 7 天后自动确认）才能验收。"))
        _refuse_transition(order, target)
    notes = (notes or "").strip()
    if not passed and not notes:
        raise DomainError(_("验收不合格时必须填写意见，告诉用户和安装单位需要整改什么。"), field="notes")
    result = InspectionResult.passed if passed else InspectionResult.failed
    inspection = Inspection(order=order, inspector_id=actor.id, result=result, notes=notes, at=now_utc())
    db.session.add(inspection)
    db.session.flush()
    audit.record(actor, "inspection.recorded", inspection, {"result": (None, result.value)},
                 reason=notes or None, extra={"order_id": order.id})
    if passed:
        transition(order, S.inspected, actor=actor, message=N_("燃气企业入户验收合格"), note=notes or None)
    else:
        transition(order, S.scheduled, actor=actor, message=N_("燃气企业入户验收不合格，需重新安装"), note=notes,
                   reason=notes, notify_message=N_("订单 %(number)s 入户验收不合格，需重新安装"))
    return inspection
