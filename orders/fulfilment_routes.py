"""Pages of fulfilment: the supplier's order queue and working page, the inspector's acceptance checks."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from core import nav
from core.clock import now_utc, to_shanghai
from core.crypto import mask_phone
from core.db import as_utc, db
from core.districts import District
from core.errors import DomainError
from core.forms import attach_domain_error, choices, title_choices
from core.i18n import _, _l, translate_stored
from core.permissions import Role, require_role
from core.personal_data import mask_address, mask_name, record_view
from core.request_args import parse_day, parse_int
from devices.models import CARRIER_TITLES, DEVICE_STATE_TITLES, DeviceState
from devices.queries import order_devices, supplier_devices
from orders import fulfilment, fulfilment_queries
from orders.forms import SupplierCancelForm
from orders.fulfilment_forms import (
    AppointmentForm,
    InspectionFilterForm,
    InspectionForm,
    InstallForm,
    SupplierOrderFilterForm,
)
from orders.models import INSPECTION_RESULT_TITLES, ORDER_STATE_TITLES, InspectionResult, Order, OrderState
from orders.paying import cancel_order, request_refund
from suppliers.queries import staff_supplier_id

bp = Blueprint("fulfilment", __name__)

nav.add("fulfilment.supplier_orders", _l("订单"), roles=(Role.supplier,), order=21)
nav.add("fulfilment.inspections", _l("入户验收"), roles=(Role.inspector,), order=30)

S = OrderState
#: What the supplier (or the next party) does next, by state.
NEXT_ACTION = {
    S.pending_payment: _l("等待用户付款"),
    S.paid: _l("预约上门时间"),
    S.scheduled: _l("上门安装并登记设备"),
    S.installed: _l("等待用户确认安装"),
    S.confirmed: _l("等待燃气企业验收"),
    S.inspected: _l("已完成"),
    S.canceled: _l("已取消"),
    S.refunded: _l("已退款"),
}
REINSTALL = _l("验收不合格：整改后重新安装")
REFUND_PENDING = _l("已取消，等待退款到账")
PERSONAL_FIELDS = ["address", "contact_name", "contact_phone"]
CONFLICT = _l("该订单刚被他人修改，未作任何更改。请查看最新状态后重试。")


def next_action(order: Order) -> str:
    if order.state == S.scheduled and order.inspections and order.inspections[-1].result == InspectionResult.failed:
        return str(REINSTALL)
    if order.refund_pending:
        return str(REFUND_PENDING)
    return str(NEXT_ACTION[order.state])


def event_text(event) -> str:
    """A timeline entry in the reader's language."""
    return translate_stored(event.message, event.params)


def _attach(form, exc: DomainError) -> bool:
    """Put a DomainError next to its field, also inside a FieldList (`devices-0-identifier`)."""
    if attach_domain_error(form, exc):
        return True
    parts = (exc.field or "").split("-")
    if len(parts) == 3 and parts[1].isdigit() and hasattr(form, parts[0]):
        rows = getattr(form, parts[0])
        index = int(parts[1])
        if index < len(rows) and hasattr(rows[index].form, parts[2]):
            field = getattr(rows[index].form, parts[2])
            field.errors = [*field.errors, exc.message]
            return True
    return False


def _run(form, action) -> int | None:
    """Validate `form` and run `action`; None when it was committed, else the status to re-render with."""
    if not form.validate_on_submit():
        return 400
    try:
        action()
    except StaleDataError:  # another worker changed the order between our read and our write
        db.session.rollback()
        flash(str(CONFLICT), "warning")
        return 409
    except DomainError as exc:
        db.session.rollback()
        if not _attach(form, exc) or exc.field == "devices":
            flash(exc.message, "danger")
        return exc.status_code
    db.session.commit()
    return None


# The supplier -------------------------------------------------------------------------------------------


def _supplier_order(order_id: int) -> tuple[Order, int]:
    """The order if the viewer works for its supplier; 404 otherwise (another company's orders are not shown)."""
    supplier_id = staff_supplier_id(current_user) or abort(403)
    order = db.session.get(Order, order_id)
    if order is None or not order.can_fulfil(current_user, supplier_id):
        abort(404)
    return order, supplier_id


def _filters(form) -> dict:
    """The queue's filters from the query string; a bad value gets a message next to its field and is ignored."""
    form.state.choices = title_choices(ORDER_STATE_TITLES, _("全部状态"))
    state = None
    if form.state.data:
        if form.state.data in OrderState.__members__:
            state = OrderState(form.state.data)
        else:
            form.state.errors = [_("没有这个订单状态。")]
    if form.date_field.data not in ("created", "appointment"):
        form.date_field.data = "created"
    days = {}
    for field in (form.date_from, form.date_to):
        days[field.name] = parse_day(field.data) if field.data else None
        if field.data and days[field.name] is None:
            field.errors = [_("日期格式应为 YYYY-MM-DD，例如 2026-12-01。")]
    if days["date_from"] and days["date_to"] and days["date_from"] > days["date_to"]:
        form.date_to.errors = [_("截止日期不能早于起始日期。")]
        days["date_to"] = None
    return {"state": state, "date_field": form.date_field.data, **days}


@bp.route("/supplier/orders")
@require_role(Role.supplier)
def supplier_orders():
    supplier_id = staff_supplier_id(current_user) or abort(403)
    form = SupplierOrderFilterForm(request.args)
    filters = _filters(form)
    tab = "devices" if request.args.get("tab") == "devices" else "orders"
    page = db.paginate(fulfilment_queries.supplier_queue(supplier_id, **filters), per_page=20, error_out=False)
    return render_template("orders/fulfilment/supplier_orders.html", form=form, page=page, tab=tab,
                           counts=fulfilment_queries.supplier_state_counts(supplier_id),
                           devices=supplier_devices(supplier_id) if tab == "devices" else [],
                           next_action=next_action, mask_name=mask_name, titles=ORDER_STATE_TITLES,
                           carrier_titles=CARRIER_TITLES, device_state_titles=DEVICE_STATE_TITLES)


def _install_form(order: Order, form: InstallForm | None = None) -> InstallForm:
    """The installation form with one row per unit, prefilled with the devices of an earlier installation."""
    if form is None:
        form = InstallForm(formdata=None)
        now = to_shanghai(now_utc())
        form.installed_date.data, form.installed_time.data = now.date(), now.time().replace(second=0, microsecond=0)
        earlier = [d for d in order_devices(order.id) if d.state != DeviceState.removed]
        for device in earlier[:order.device_count]:
            form.devices.append_entry({"identifier": device.identifier, "carrier": str(device.carrier),
                                       "serial": device.serial})
    while len(form.devices) < order.device_count:
        form.devices.append_entry()
    return form


def _appointment_form(order: Order) -> AppointmentForm:
    form = AppointmentForm(formdata=None)
    if order.appointment_at is not None and as_utc(order.appointment_at) > now_utc():
        moment = to_shanghai(order.appointment_at)
        form.appointment_date.data, form.appointment_time.data = moment.date(), moment.time()
    elif order.preferred_date is not None:
        form.appointment_date.data = order.preferred_date
    return form


def _render_order(order: Order, supplier_id: int, *, appointment_form=None, install_form=None, status: int = 200):
    record_view(current_user, order.resident_id, order, PERSONAL_FIELDS)
    db.session.commit()
    page = render_template(
        "orders/fulfilment/supplier_order.html", order=order, titles=ORDER_STATE_TITLES,
        appointment_form=appointment_form or _appointment_form(order),
        install_form=_install_form(order, install_form), devices=order_devices(order.id),
        next_action=next_action(order), carrier_titles=CARRIER_TITLES, device_state_titles=DEVICE_STATE_TITLES,
        result_titles=INSPECTION_RESULT_TITLES, event_text=event_text,
        can_schedule=order.state in (S.paid, S.scheduled), can_install=order.state == S.scheduled,
        can_cancel=order.state in (S.paid, S.scheduled))
    return page, status


@bp.route("/supplier/orders/<int:order_id>")
@require_role(Role.supplier)
def supplier_order(order_id: int):
    order, supplier_id = _supplier_order(order_id)
    return _render_order(order, supplier_id)


@bp.route("/supplier/orders/<int:order_id>/schedule", methods=["POST"])
@require_role(Role.supplier)
def schedule(order_id: int):
    order, supplier_id = _supplier_order(order_id)
    form = AppointmentForm()
    rescheduling = order.state == S.scheduled
    status = _run(form, lambda: fulfilment.schedule_order(order, actor=current_user,
                                                          appointment_at=form.appointment_at(), note=form.note.data))
    if status is not None:
        return _render_order(order, supplier_id, appointment_form=form, status=status)
    flash(_("上门时间已改，已通知用户。") if rescheduling else _("已预约上门时间，已通知用户。"), "success")
    return redirect(url_for("fulfilment.supplier_order", order_id=order.id))


@bp.route("/supplier/orders/<int:order_id>/install", methods=["POST"])
@require_role(Role.supplier)
def install(order_id: int):
    order, supplier_id = _supplier_order(order_id)
    form = InstallForm()
    status = _run(form, lambda: fulfilment.install_order(order, actor=current_user, installed_at=form.installed_at(),
                                                         devices=form.device_inputs()))
    if status is not None:
        return _render_order(order, supplier_id, install_form=form, status=status)
    flash(_("安装已登记，设备已录入登记册。请提醒用户确认安装。"), "success")
    return redirect(url_for("fulfilment.supplier_order", order_id=order.id))


# The inspector ------------------------------------------------------------------------------------------


@bp.route("/inspections")
@require_role(Role.inspector)
def inspections():
    district_ids = sorted(current_user.district_ids(Role.inspector))
    districts = db.session.scalars(select(District).where(District.id.in_(district_ids or [-1]))
                                   .order_by(District.code)).all()
    locale = str(get_locale())
    form = InspectionFilterForm(request.args)
    form.district.choices = choices([("", _("全部区县")), *[(str(d.id), d.display_name(locale)) for d in districts]])
    chosen = parse_int(form.district.data, minimum=1)
    scope = [chosen] if chosen in district_ids else district_ids
    page = db.paginate(fulfilment_queries.awaiting_inspection(scope), per_page=20, error_out=False)
    installed = db.session.scalars(fulfilment_queries.awaiting_inspection(scope, states=(S.installed,))
                                   .limit(50)).all()
    return render_template("orders/fulfilment/inspections.html", form=form, page=page, installed=installed,
                           several=len(districts) > 1, recent=fulfilment_queries.recent_inspections(current_user.id),
                           mask_address=mask_address, titles=ORDER_STATE_TITLES, result_titles=INSPECTION_RESULT_TITLES)


@bp.route("/inspections/<int:order_id>", methods=["GET", "POST"])
@require_role(Role.inspector)
def inspection(order_id: int):
    order = db.session.get(Order, order_id)
    if order is None or not order.can_inspect(current_user):
        abort(404)
    form = InspectionForm()
    status = 200
    if request.method == "POST":
        status = _run(form, lambda: fulfilment.record_inspection(order, actor=current_user,
                                                                 passed=form.result.data == "passed",
                                                                 notes=form.notes.data))
        if status is None:
            flash(_("验收结果已记录，已通知用户和安装单位。"), "success")
            return redirect(url_for("fulfilment.inspections"))
    unmasked = order.can_see_personal_data(current_user)
    if unmasked:
        record_view(current_user, order.resident_id, order, PERSONAL_FIELDS)
        db.session.commit()
    return render_template("orders/fulfilment/inspection.html", order=order, form=form, unmasked=unmasked,
                           devices=order_devices(order.id), titles=ORDER_STATE_TITLES,
                           result_titles=INSPECTION_RESULT_TITLES, carrier_titles=CARRIER_TITLES,
                           device_state_titles=DEVICE_STATE_TITLES, mask_address=mask_address,
                           mask_name=mask_name, mask_phone=mask_phone, event_text=event_text,
                           can_record=order.state == S.confirmed), status


@bp.route("/supplier/orders/<int:order_id>/cancel", methods=["POST"])
@require_role(Role.supplier)
def supplier_cancel(order_id: int):
    """The supplier cancels a paid order before installation, with a reason the resident sees; the payment
    is refunded in full."""
    order, supplier_id = _supplier_order(order_id)
    form = SupplierCancelForm()
    if order.state not in (S.paid, S.scheduled):
        flash(_("只有已付款、尚未安装的订单可以由安装单位取消。"), "danger")
        return redirect(url_for("fulfilment.supplier_order", order_id=order.id), code=303)
    status = _run(form, lambda: cancel_order(order, actor=current_user, reason=form.reason.data, by_supplier=True))
    if status is not None:
        if form.reason.errors:
            flash(form.reason.errors[0], "danger")
        return _render_order(order, supplier_id, status=status)
    if order.paid_fen > 0:
        request_refund(order, actor=current_user)
        db.session.commit()
    flash(_("订单已取消，已通知用户；已付款项将全额退回。"), "success")
    return redirect(url_for("fulfilment.supplier_order", order_id=order.id), code=303)
