"""The resident's pages of orders (SPEC 3.3): order form, my orders, one order, receipt, pay, cancel, confirm.

Addresses and field names are the contract of SPEC 3.3. Prices come only from the district's current list
(orders.pricing); the order becomes paid only from the provider's webhook (orders.payment_events).
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from catalog.models import DEVICE_TYPE_TITLES, TIER_TITLES, Product
from core import nav
from core.clock import now_utc, today_shanghai
from core.crypto import mask_phone
from core.db import db
from core.errors import DomainError
from core.forms import attach_domain_error, choices
from core.i18n import _, _l
from core.permissions import Role
from core.personal_data import mask_address, mask_name, record_view
from core.request_args import parse_int
from devices.models import CARRIER_TITLES, DEVICE_STATE_TITLES
from devices.queries import order_devices
from orders import pricing, queries
from orders.forms import CancelForm, OrderForm
from orders.fulfilment_routes import CONFLICT, PERSONAL_FIELDS, event_text
from orders.models import INSPECTION_RESULT_TITLES, ORDER_STATE_TITLES, Order, OrderState
from orders.paying import PaymentUnavailable, cancel_order, confirm_order, request_refund, start_payment
from orders.placing import OrderDetails, may_order, needs_community, place_order, recent_duplicate, supplier_refusal
from payments import gateway
from registry.districts.household_queries import claim_in_force, communities_of, pending_claim
from registry.districts.models import Township
from registry.lists import queries as list_queries
from suppliers.queries import staff_supplier_id

bp = Blueprint("orders", __name__)


@bp.after_request
def _checkout_may_answer_forms(response):
    """The order form and the pay buttons are answered by a redirect to the provider's hosted checkout."""
    if response.mimetype == "text/html":
        g.csp_form_targets = (*g.get("csp_form_targets", ()), *gateway.checkout_origins())
    return response

nav.add("orders.my_orders", _l("我的订单"), roles=(Role.resident,), order=12)

S = OrderState
#: What the resident does (or waits for) next, by state.
RESIDENT_NEXT = {
    S.pending_payment: _l("请在下单后 %(hours)s 小时内付款，超时订单会自动取消。"),
    S.paid: _l("已付款。安装单位会尽快联系您预约上门时间。"),
    S.scheduled: _l("已预约上门安装，请按约定时间在家。"),
    S.installed: _l("已安装。请检查设备，确认无误后点“确认安装”。"),
    S.confirmed: _l("您已确认安装，燃气企业将上门验收。"),
    S.inspected: _l("验收合格，全部完成。"),
    S.canceled: _l("订单已取消。"),
    S.refunded: _l("订单已取消，款项已退回您的付款账户。"),
}


# Helpers ------------------------------------------------------------------------------------------------


def _offer_from_args():
    """(district, offer) from ?product=&district=; the page says plainly when the product cannot be ordered."""
    product_id = parse_int(request.args.get("product"), minimum=1)
    district = list_queries.district_by_code((request.args.get("district") or "").strip())
    if product_id is None or district is None:
        abort(404)
    offer = pricing.current_offer(district, product_id, today_shanghai())
    return district, offer


def _not_orderable(district):
    """The product is not on the district's current list, or its company is suspended or blacklisted."""
    product_id = parse_int(request.args.get("product"), minimum=1)
    product = db.session.get(Product, product_id) if product_id else None
    reason = supplier_refusal(product.supplier_id) if product is not None else None
    page = render_template("orders/not_orderable.html", district=district, reason=reason)
    return page, 404


def _set_choices(form: OrderForm, district) -> None:
    townships = db.session.scalars(select(Township).where(Township.district_id == district.id)
                                   .order_by(Township.id)).all()
    form.township.choices = choices([("", _("请选择")), *[(t.id, t.name) for t in townships]])
    communities = communities_of(district.id)
    form.community.choices = choices([("", _("不是老旧小区住户") if communities else _("本区县未公布老旧小区名单")),
                                      *[(c.id, c.name) for c in communities]])


def _prefill(form: OrderForm, district) -> None:
    """A new form: the profile's building height and name, an old-community household's community."""
    form.building_over_100m.data = bool(current_user.building_over_100m)
    form.contact_name.data = current_user.display_name
    if current_user.phone:
        form.contact_phone.data = current_user.phone
    claim = claim_in_force(current_user)
    if claim is not None and claim.district_id == district.id and claim.old_community_id:
        form.community.data = claim.old_community_id


def _subsidy_note(user, district, priced: pricing.Quote) -> str | None:
    """Why a household gets no subsidy here (None when it gets one, or for an organisation)."""
    if user.is_organisation or priced.subsidy_fen > 0:
        return None
    if priced.subsidy_used_by is not None:
        return _("您家已在订单 %(number)s 享受过此类设备的补贴（每户一台），本单按清单价格收费。",
                 number=priced.subsidy_used_by.number)
    if user.home_district_id is not None and user.home_district_id != district.id:
        return _("补贴只适用于您居住的区县，本单按清单价格收费。")
    if pending_claim(user) is not None and not priced.subsidy.applies:
        return _("您的家庭类别申请正在审核，审核通过后下单才有补贴。")
    if priced.subsidy.applies:
        return _("您的家庭类别在本区县目前没有此类设备的补贴。")
    return None


def _render_form(form: OrderForm, district, offer, *, status: int = 200):
    quantity = form.quantity.data if isinstance(form.quantity.data, int) and 1 <= form.quantity.data <= 20 else 1
    priced = pricing.quote(current_user, offer, quantity, today_shanghai())
    form.quote.data = priced.token
    page = render_template(
        "orders/new.html", form=form, district=district, offer=offer, priced=priced,
        subsidy_note=_subsidy_note(current_user, district, priced),
        community_required=needs_community(current_user, district.id),
        device_titles=DEVICE_TYPE_TITLES, tier_titles=TIER_TITLES, locale=str(get_locale()))
    return page, status


def _go_pay(order: Order):
    """303 to the hosted checkout page (or back to the order when nothing is payable or the provider fails)."""
    if not order.payable:
        return redirect(url_for("orders.detail", order_id=order.id), code=303)
    try:
        url = start_payment(order, actor=current_user)
        db.session.commit()
    except (IntegrityError, StaleDataError):  # a second click started the same attempt at the same moment
        db.session.rollback()
        order = db.session.get(Order, order.id)
        current = order.payments[-1] if order and order.payments else None
        if current is None:
            abort(409)
        return redirect(gateway.checkout_url_for_payer(current.checkout_url), code=303)
    except PaymentUnavailable as exc:
        db.session.rollback()
        flash(exc.message, "warning")
        return redirect(url_for("orders.detail", order_id=order.id), code=303)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return redirect(url_for("orders.detail", order_id=order.id), code=303)
    return redirect(url, code=303)


def _viewer_order(order_id: int) -> tuple[Order, int | None]:
    """The order if the viewer may see it (404 otherwise: another household's orders do not exist for you)."""
    order = db.session.get(Order, order_id)
    supplier_id = staff_supplier_id(current_user) if current_user.has_role(Role.supplier) else None
    if order is None or not order.can_view(current_user, supplier_id):
        abort(404)
    return order, supplier_id


def _personal(order: Order, supplier_id: int | None) -> dict:
    """Address and contact as this viewer may see them; an unmasked view by anyone but the resident is
    audited (SPEC 8)."""
    if order.can_see_personal_data(current_user, supplier_id):
        if record_view(current_user, order.resident_id, order, PERSONAL_FIELDS):
            db.session.commit()
        return {"masked": False, "address": order.address, "name": order.contact_name, "phone": order.contact_phone}
    return {"masked": True, "address": mask_address(order.address), "name": mask_name(order.contact_name),
            "phone": mask_phone(order.contact_phone)}


# Pages --------------------------------------------------------------------------------------------------


@bp.route("/orders/new", methods=["GET", "POST"])
@login_required
def new():
    district, offer = _offer_from_args()
    if offer is None:
        return _not_orderable(district)
    if not may_order(current_user):
        return render_template("orders/not_orderable.html", district=district, staff=True), 403
    form = OrderForm()
    _set_choices(form, district)
    if request.method == "GET":
        _prefill(form, district)
        return _render_form(form, district, offer)
    if "preview" in request.form:  # "update the amount" without JavaScript: nothing is created
        form.validate()
        return _render_form(form, district, offer)
    if not form.validate_on_submit():
        return _render_form(form, district, offer, status=400)
    details = OrderDetails(quantity=form.quantity.data, township_id=form.township.data,
                           community_id=form.community.data, address=form.address.data,
                           contact_name=form.contact_name.data, contact_phone=form.contact_phone.data,
                           building_over_100m=bool(form.building_over_100m.data), preferred_date=form.preferred_day())
    duplicate = recent_duplicate(current_user, offer, details)
    if duplicate is not None:
        flash(_("这个订单刚才已经提交过了，请直接付款。"), "info")
        return _go_pay(duplicate)
    try:
        order = place_order(current_user, offer, details, shown_token=form.quote.data or None)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if not attach_domain_error(form, exc):
            flash(exc.message, "warning" if exc.code == "stale_price" else "danger")
        return _render_form(form, district, offer, status=409 if exc.code == "stale_price" else exc.status_code)
    if order.state == S.paid:
        flash(_("订单已提交。补贴已覆盖全部费用，无需付款；安装单位会联系您预约上门。"), "success")
        return redirect(url_for("orders.detail", order_id=order.id), code=303)
    return _go_pay(order)


@bp.route("/orders")
@login_required
def my_orders():
    state = request.args.get("state") or None
    if state is not None and state not in OrderState.__members__:
        flash(_("没有这个订单状态，已显示全部订单。"), "warning")
        state = None
    page = db.paginate(queries.resident_orders(current_user, state=OrderState(state) if state else None),
                       per_page=20, error_out=False)
    return render_template("orders/my_orders.html", page=page, state=state, titles=ORDER_STATE_TITLES,
                           counts=queries.resident_state_counts(current_user))


@bp.route("/orders/<int:order_id>")
@login_required
def detail(order_id: int):
    order, supplier_id = _viewer_order(order_id)
    resident = order.is_resident(current_user)
    return render_template(
        "orders/detail.html", order=order, resident=resident, personal=_personal(order, supplier_id),
        supplier_staff=order.is_supplier_staff(current_user, supplier_id),
        inspector=order.can_inspect(current_user), titles=ORDER_STATE_TITLES,
        next_text=str(RESIDENT_NEXT[order.state]) % {"hours": current_app.config["ORDER_PAYMENT_TIMEOUT_HOURS"]}
        if order.state == S.pending_payment else RESIDENT_NEXT[order.state],
        confirm_days=current_app.config["ORDER_AUTO_CONFIRM_DAYS"],
        devices=order_devices(order.id), carrier_titles=CARRIER_TITLES, device_state_titles=DEVICE_STATE_TITLES,
        result_titles=INSPECTION_RESULT_TITLES, event_text=event_text, cancel_form=CancelForm(),
        tier_titles=TIER_TITLES, device_titles=DEVICE_TYPE_TITLES,
        returning=request.args.get("checkout") if resident else None)


@bp.route("/orders/<int:order_id>/receipt")
@login_required
def receipt(order_id: int):
    order, supplier_id = _viewer_order(order_id)
    version = order.list_version
    company = next((s for s in (version.suppliers if version else []) if s.get("id") == order.supplier_id), {})
    return render_template("orders/receipt.html", order=order, personal=_personal(order, supplier_id),
                           company=company, titles=ORDER_STATE_TITLES, tier_titles=TIER_TITLES,
                           device_titles=DEVICE_TYPE_TITLES, printed_at=now_utc())


def _resident_order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or not order.is_resident(current_user):
        abort(404)
    return order


@bp.route("/orders/<int:order_id>/pay", methods=["POST"])
@login_required
def pay(order_id: int):
    order = _resident_order(order_id)
    if not order.payable:
        flash(_("这个订单现在不需要付款。"), "info")
        return redirect(url_for("orders.detail", order_id=order.id), code=303)
    return _go_pay(order)


@bp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@login_required
def cancel(order_id: int):
    order = _resident_order(order_id)
    form = CancelForm()
    if not form.validate_on_submit():
        flash(_("取消未成功：请刷新页面后重试。"), "danger")
        return redirect(url_for("orders.detail", order_id=order.id), code=303)
    paid = order.paid_fen > 0
    try:
        cancel_order(order, actor=current_user, reason=form.reason.data or None)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(str(CONFLICT), "warning")
        return redirect(url_for("orders.detail", order_id=order_id), code=303)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("orders.detail", order_id=order_id), code=303)
    if paid:
        request_refund(order, actor=current_user)
        db.session.commit()
        flash(_("订单已取消。全额退款已申请，到账后订单显示“已退款”。"), "success")
    else:
        flash(_("订单已取消。"), "success")
    return redirect(url_for("orders.detail", order_id=order.id), code=303)


@bp.route("/orders/<int:order_id>/confirm", methods=["POST"])
@login_required
def confirm(order_id: int):
    order = _resident_order(order_id)
    form = CancelForm()  # only its CSRF token is used
    if not form.validate_on_submit():
        flash(_("确认未成功：请刷新页面后重试。"), "danger")
        return redirect(url_for("orders.detail", order_id=order.id), code=303)
    try:
        confirm_order(order, actor=current_user)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        flash(str(CONFLICT), "warning")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        flash(_("已确认安装。燃气企业会上门验收。"), "success")
    return redirect(url_for("orders.detail", order_id=order_id), code=303)
