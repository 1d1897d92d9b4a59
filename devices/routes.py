"""Device pages: the utility's alarms, the district register, outside-platform registration, the supplier's devices.

Who sees what (SPEC 2, 8): a district's inspectors handle its alarms and its officials read them; the register is
for the district's officials and inspectors, and city-wide (addresses masked) for regulators and admins; a
supplier sees the devices it installed. Addresses are masked in every list; the pages of one device show them
to those entitled, with an audit entry (core.personal_data.record_view).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from catalog.models import DEVICE_TYPE_TITLES
from core import nav
from core.accounts.models import User
from core.audit import AuditEntry
from core.clock import now_utc, today_shanghai
from core.crypto import mask_phone
from core.db import db
from core.districts import District, all_districts
from core.errors import DomainError
from core.forms import attach_domain_error, choices
from core.i18n import _, _l
from core.permissions import Role, require_role
from core.personal_data import mask_address, mask_name, record_view
from core.request_args import parse_int
from devices import alarms, queries, register
from devices.forms import (
    AcknowledgeForm,
    AlarmFilterForm,
    CloseAlarmForm,
    DeviceStateFilterForm,
    OutsideDeviceForm,
    RegisterFilterForm,
)
from devices.models import (
    ALARM_OUTCOME_TITLES,
    ALARM_STATE_TITLES,
    CARRIER_TITLES,
    DEVICE_STATE_TITLES,
    EVENT_TYPE_TITLES,
    GAS_TYPE_TITLES,
    Alarm,
    AlarmState,
    DeviceState,
    InstalledDevice,
)
from registry.districts.models import Township
from suppliers.queries import staff_supplier_id

bp = Blueprint("devices", __name__)

nav.add("devices.utility_alarms", _l("设备报警"), roles=(Role.inspector,), order=31)
nav.add("devices.register_page", _l("设备登记册"),
        roles=(Role.inspector, Role.district_official, Role.regulator, Role.admin), order=37)
nav.add("devices.supplier_devices", _l("设备监测"), roles=(Role.supplier,), order=22)

ALARM_ROLES = (Role.inspector, Role.district_official)
REGISTER_ROLES = (Role.inspector, Role.district_official, Role.regulator, Role.admin)
ACTION_TITLES = {"alarm.opened": _l("报警开始"), "alarm.acknowledged": _l("燃气企业已响应"),
                 "alarm.escalated": _l("超时未响应，已上报区县主管部门"), "alarm.closed": _l("已关闭")}


@bp.context_processor
def _titles():
    return {"device_state_titles": DEVICE_STATE_TITLES, "alarm_state_titles": ALARM_STATE_TITLES,
            "outcome_titles": ALARM_OUTCOME_TITLES, "carrier_titles": CARRIER_TITLES,
            "event_titles": EVENT_TYPE_TITLES, "device_type_titles": DEVICE_TYPE_TITLES,
            "gas_type_titles": GAS_TYPE_TITLES, "mask_address": mask_address, "mask_name": mask_name,
            "mask_phone": mask_phone, "minutes_open": alarms.minutes_open, "is_overdue": alarms.is_overdue,
            "escalate_minutes": int(alarms.escalate_after().total_seconds() // 60), "today": today_shanghai()}


# Helpers ------------------------------------------------------------------------------------------------


def _locale() -> str:
    return str(get_locale())


def _city_wide(user) -> bool:
    return user.has_role(Role.regulator) or user.has_role(Role.admin)


def _scope(user) -> set[int]:
    """The districts where the user is an inspector or an official."""
    return user.district_ids(Role.inspector) | user.district_ids(Role.district_official)


def _districts(ids) -> list[District]:
    return list(db.session.scalars(select(District).where(District.id.in_(list(ids) or [-1])).order_by(District.code)))


def _enum_filter(field, titles: dict, enum_cls):
    """A state filter's value (None for all, or for junk, which the field's error then names)."""
    field.choices = choices([("", _("全部状态")), *[(str(k), v) for k, v in titles.items()]])
    field.invalid_choice_message = _("没有这个状态。")
    return enum_cls(field.data) if field.data in enum_cls.__members__ else None


def _district_filter(field, districts: list[District]) -> int | None:
    field.choices = choices([("", _("全部区县")), *[(str(d.id), d.display_name(_locale())) for d in districts]])
    field.invalid_choice_message = _("没有这个区县。")
    chosen = parse_int(field.data, minimum=1)
    return chosen if chosen in {d.id for d in districts} else None


def _run(form, action) -> int | None:
    """Validate `form` and run `action`; None when it was committed, else the status to re-render with."""
    if not form.validate_on_submit():
        if getattr(form, "csrf_token", None) is not None and form.csrf_token.errors:
            flash(_("页面已过期，请刷新后重新提交。"), "danger")
        return 400
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        if not attach_domain_error(form, exc):
            flash(exc.message, "danger")
        return exc.status_code
    db.session.commit()
    return None


def _render_device(device: InstalledDevice, *, unmasked: bool, back: str, back_label):
    if unmasked:
        record_view(current_user, device.owner_id, device, ["address"])
        db.session.commit()
    return render_template("devices/device.html", device=device, unmasked=unmasked, back=back,
                           back_label=back_label, events=queries.device_events(device.id),
                           device_alarms=queries.device_alarms(device.id), now=now_utc(),
                           alarm_link=(lambda a: url_for("devices.utility_alarm", alarm_id=a.id))
                           if alarms_visible(device) else None)


def alarms_visible(device: InstalledDevice) -> bool:
    return current_user.is_inspector_of(device.district_id) or current_user.is_official_of(device.district_id)


# The gas utility's alarms ------------------------------------------------------------------------------


@bp.route("/utility/alarms")
@require_role(*ALARM_ROLES)
def utility_alarms():
    ids = _scope(current_user) or abort(403)
    districts = _districts(ids)
    form = AlarmFilterForm(request.args)
    state = _enum_filter(form.state, ALARM_STATE_TITLES, AlarmState)
    chosen = _district_filter(form.district, districts)
    form.validate()
    scope = [chosen] if chosen else ids
    return render_template("devices/alarms.html", form=form, several=len(districts) > 1, now=now_utc(),
                           page=alarms.alarms_for(scope, state=state), counts=queries.alarm_state_counts(scope),
                           inspector=bool(current_user.district_ids(Role.inspector)))


def _alarm(alarm_id: int) -> Alarm:
    alarm = db.session.get(Alarm, alarm_id)
    if alarm is None or not alarms.can_view(current_user, alarm):
        abort(404)
    return alarm


def _render_alarm(alarm: Alarm, *, ack_form=None, close_form=None, status: int = 200):
    device = alarm.device
    unmasked = alarms.can_handle(current_user, alarm) and not alarm.is_closed
    if unmasked:
        record_view(current_user, device.owner_id, device, ["address"])
        db.session.commit()
    people = {uid: db.session.get(User, uid) for uid in (alarm.acknowledged_by_id, alarm.closed_by_id) if uid}
    trail = db.session.scalars(select(AuditEntry).where(AuditEntry.target_type == "Alarm",
                                                        AuditEntry.target_id == str(alarm.id))
                               .order_by(AuditEntry.id)).all()
    return render_template(
        "devices/alarm.html", alarm=alarm, device=device, unmasked=unmasked, now=now_utc(),
        owner=db.session.get(User, device.owner_id) if device.owner_id else None, people=people, trail=trail,
        action_titles=ACTION_TITLES, events=queries.alarm_events(alarm), can_act=alarms.can_handle(current_user, alarm),
        ack_form=ack_form or AcknowledgeForm(formdata=None), close_form=close_form or CloseAlarmForm(formdata=None),
    ), status


@bp.route("/utility/alarms/<int:alarm_id>")
@require_role(*ALARM_ROLES)
def utility_alarm(alarm_id: int):
    return _render_alarm(_alarm(alarm_id))


@bp.route("/utility/alarms/<int:alarm_id>/acknowledge", methods=["POST"])
@require_role(Role.inspector)
def acknowledge(alarm_id: int):
    alarm = _alarm(alarm_id)
    form = AcknowledgeForm()
    status = _run(form, lambda: alarms.acknowledge(alarm, current_user, note=form.note.data))
    if status is not None:
        return _render_alarm(alarm, ack_form=form, status=status)
    flash(_("已响应该报警，已告知用户燃气企业正在处置。"), "success")
    return redirect(url_for("devices.utility_alarm", alarm_id=alarm.id), code=303)


@bp.route("/utility/alarms/<int:alarm_id>/close", methods=["POST"])
@require_role(Role.inspector)
def close(alarm_id: int):
    alarm = _alarm(alarm_id)
    form = CloseAlarmForm()
    status = _run(form, lambda: alarms.close(alarm, current_user, form.outcome.data, form.note.data))
    if status is not None:
        return _render_alarm(alarm, close_form=form, status=status)
    flash(_("报警已关闭，已将处置结果告知用户和安装单位。"), "success")
    return redirect(url_for("devices.utility_alarm", alarm_id=alarm.id), code=303)


# The register --------------------------------------------------------------------------------------------


@bp.route("/utility/devices")
@require_role(*REGISTER_ROLES)
def register_page():
    city = _city_wide(current_user)
    ids = None if city else (_scope(current_user) or abort(403))
    districts = all_districts() if city else _districts(ids)
    form = RegisterFilterForm(request.args)
    state = _enum_filter(form.state, DEVICE_STATE_TITLES, DeviceState)
    chosen = _district_filter(form.district, districts)
    form.validate()
    q = None if form.q.errors else form.q.data
    scope = [chosen] if chosen else ids
    return render_template("devices/register.html", form=form, several=len(districts) > 1, city=city,
                           page=register.search(scope, q=q, state=state), counts=register.state_counts(scope),
                           can_register=bool(current_user.district_ids(Role.inspector)),
                           alarms_link=bool(_scope(current_user)))


@bp.route("/utility/devices/<int:device_id>")
@require_role(*REGISTER_ROLES)
def utility_device(device_id: int):
    device = db.session.get(InstalledDevice, device_id)
    if device is None or not (alarms_visible(device) or _city_wide(current_user)):
        abort(404)
    return _render_device(device, unmasked=alarms_visible(device), back=url_for("devices.register_page"),
                          back_label=_("返回设备登记册"))


def _registration_form() -> tuple[OutsideDeviceForm, list[District]]:
    districts = _districts(current_user.district_ids(Role.inspector)) or abort(403)
    form = OutsideDeviceForm()
    locale = _locale()
    form.district.choices = choices([*([("", _("请选择区县"))] if len(districts) > 1 else []),
                                     *[(str(d.id), d.display_name(locale)) for d in districts]])
    form.district.validate_choice = False  # the service says whether the inspector covers it
    names = {d.id: d.display_name(locale) for d in districts}
    townships = db.session.scalars(select(Township).where(Township.district_id.in_(names))
                                   .order_by(Township.district_id, Township.name)).all()
    prefix = len(districts) > 1
    form.township.choices = choices([("", _("（不填）")), *[
        (str(t.id), f"{names[t.district_id]} · {t.name}" if prefix else t.name) for t in townships]])
    form.township.validate_choice = False
    form.installed_on.render_kw = {"min": register.EARLIEST_INSTALL.isoformat(), "max": today_shanghai().isoformat()}
    return form, districts


@bp.route("/utility/devices/new", methods=["GET", "POST"])
@require_role(Role.inspector)
def new_device():
    form, districts = _registration_form()
    status = 200
    if request.method == "POST":
        created = []
        status = _run(form, lambda: created.append(register.register_outside_device(
            current_user, district_id=parse_int(form.district.data, -1), township_id=parse_int(form.township.data),
            identifier=form.identifier.data, carrier=form.carrier.data, serial=form.serial.data,
            device_type=form.device_type.data, brand_model=form.brand_model.data,
            installer_name=form.installer_name.data, gas_type=form.gas_type.data,
            installed_on=form.installed_on.data, address=form.address.data,
            household_category=form.household_category.data or "other")))
        if status is None:
            flash(_("设备 %(identifier)s 已登记。", identifier=created[0].identifier), "success")
            return redirect(url_for("devices.utility_device", device_id=created[0].id), code=303)
    return render_template("devices/new_device.html", form=form, districts=districts), status


# The supplier ------------------------------------------------------------------------------------------


@bp.route("/supplier/devices")
@require_role(Role.supplier)
def supplier_devices():
    supplier_id = staff_supplier_id(current_user) or abort(403)
    form = DeviceStateFilterForm(request.args)
    state = _enum_filter(form.state, DEVICE_STATE_TITLES, DeviceState)
    form.validate()
    page = db.paginate(queries.supplier_device_query(supplier_id, state=state), per_page=25, error_out=False)
    return render_template("devices/supplier_devices.html", form=form, page=page, now=now_utc(),
                           counts=queries.supplier_state_counts(supplier_id),
                           open_alarms=queries.supplier_open_alarms(supplier_id))


@bp.route("/supplier/devices/<int:device_id>")
@require_role(Role.supplier)
def supplier_device(device_id: int):
    supplier_id = staff_supplier_id(current_user) or abort(403)
    device = db.session.get(InstalledDevice, device_id)
    if device is None or device.supplier_id != supplier_id:
        abort(404)
    return _render_device(device, unmasked=True, back=url_for("devices.supplier_devices"),
                          back_label=_("返回设备监测"))

