"""Supplier-profile pages: the company workbench, profile and staff; regulators' and officials' oversight."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from catalog import queries as catalog_queries
from catalog.forms import ProductFilterForm
from catalog.models import DEVICE_TYPE_TITLES, PRODUCT_STATUS_TITLES, TIER_TITLES
from core import nav
from core.accounts.forms import EmptyForm
from core.clock import today_shanghai
from core.db import db
from core.districts import district_choices
from core.errors import DomainError
from core.forms import attach_domain_error, choices
from core.i18n import _, _l
from core.permissions import Role, require_role
from core.request_args import parse_int
from core.uploads import save_upload, send_upload
from registry import services, supplier_queries
from registry.forms import CreditCodeOverrideForm, StaffForm, SupplierFilterForm, SupplierProfileForm
from registry.models import PROFILE_FIELD_TITLES, SUPPLIER_STATUS_TITLES, Supplier

bp = Blueprint("supplier_profile", __name__)
OVERSIGHT = (Role.regulator, Role.admin, Role.district_official)

nav.add("supplier_profile.dashboard", _l("单位工作台"), roles=(Role.supplier,), order=20)
nav.add("supplier_profile.suppliers", _l("销售安装单位"), roles=OVERSIGHT, order=40)
nav.add("supplier_profile.products", _l("产品监管"), roles=(Role.regulator, Role.admin), order=41)


def _own_supplier() -> Supplier:
    if current_user.supplier is None:
        abort(403)
    return current_user.supplier


def _supplier_or_404(supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        abort(404)
    return supplier


def _choices(titles: dict, blank) -> list:
    return choices([("", blank), *[(str(k), v) for k, v in titles.items()]])


def _district_filter_choices() -> list:
    return choices([("", _("全部区县")), *[(str(i), n) for i, n in district_choices(str(get_locale()))]])


@bp.route("/supplier")
@require_role(Role.supplier)
def dashboard():
    supplier = _own_supplier()
    return render_template("registry/supplier_dashboard.html", supplier=supplier,
                           products=catalog_queries.supplier_products(supplier.id),
                           counts=catalog_queries.status_counts(supplier.id),
                           expiring=catalog_queries.expiring_certificates(supplier.id, today_shanghai()),
                           missing=[PROFILE_FIELD_TITLES[m] for m in supplier.missing_public_fields()],
                           status_titles=SUPPLIER_STATUS_TITLES)


@bp.route("/supplier/profile", methods=["GET", "POST"])
@require_role(Role.supplier)
def profile():
    supplier = _own_supplier()
    accepted = supplier.credit_code if supplier.credit_code_override else None
    form = SupplierProfileForm(obj=supplier if request.method == "GET" else None, accepted_code=accepted)
    form.districts.choices = choices(district_choices(str(get_locale())))
    if request.method == "GET":
        form.districts.data = [d.id for d in supplier.districts]
    if form.validate_on_submit():
        try:
            licence = (save_upload(form.licence.data, kind="licence", field="licence")
                       if getattr(form.licence.data, "filename", "") else None)
            services.update_profile(
                supplier, actor=current_user, legal_name=form.legal_name.data, credit_code=form.credit_code.data,
                qualification_name=form.qualification_name.data, qualification_level=form.qualification_level.data,
                contact_person=form.contact_person.data, phone=form.phone.data, address=form.address.data,
                service_content=form.service_content.data, district_ids=form.districts.data or [],
                licence_file=licence)
        except DomainError as exc:
            if not attach_domain_error(form, exc):
                flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("单位资料已保存。"), "success")
            return redirect(url_for("supplier_profile.dashboard"))
    return render_template("registry/supplier_profile.html", form=form, supplier=supplier)


@bp.route("/supplier/staff", methods=["GET", "POST"])
@require_role(Role.supplier)
def staff():
    supplier = _own_supplier()
    form = StaffForm()
    if form.validate_on_submit():
        try:
            services.add_staff(supplier, actor=current_user, display_name=form.display_name.data,
                               email=form.email.data, phone=form.phone.data, password=form.password.data)
        except DomainError as exc:
            if not attach_domain_error(form, exc):
                flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已添加员工账号。请将临时密码告知同事。"), "success")
            return redirect(url_for("supplier_profile.staff"))
    return render_template("registry/supplier_staff.html", form=form, supplier=supplier)


@bp.route("/files/suppliers/<int:supplier_id>/licence")
@require_role(*Role)
def licence(supplier_id: int):
    supplier = _supplier_or_404(supplier_id)
    if not supplier.can_view_profile(current_user):
        abort(403)
    return send_upload(supplier.licence_file, _("营业执照-%(code)s", code=supplier.credit_code))


@bp.route("/regulator/suppliers")
@require_role(*OVERSIGHT)
def suppliers():
    form = SupplierFilterForm(request.args)
    form.status.choices = _choices(SUPPLIER_STATUS_TITLES, _("全部状态"))
    form.district.choices = _district_filter_choices()
    district_id = parse_int(form.district.data, minimum=1)
    query = supplier_queries.suppliers_query(current_user, status=form.status.data, district_id=district_id,
                                             q=form.q.data)
    page = db.paginate(query, per_page=30, error_out=False)
    return render_template("registry/supplier_list.html", form=form, page=page, status_titles=SUPPLIER_STATUS_TITLES)


@bp.route("/regulator/suppliers/<int:supplier_id>")
@require_role(*OVERSIGHT)
def supplier(supplier_id: int):
    supplier = _supplier_or_404(supplier_id)
    if not supplier.can_view_profile(current_user):
        abort(403)
    return render_template("registry/supplier_detail.html", supplier=supplier, form=EmptyForm(),
                           products=catalog_queries.supplier_products(supplier.id),
                           override_form=CreditCodeOverrideForm(formdata=None, credit_code=supplier.credit_code),
                           missing=[PROFILE_FIELD_TITLES[m] for m in supplier.missing_public_fields()],
                           status_titles=SUPPLIER_STATUS_TITLES)


@bp.route("/regulator/suppliers/<int:supplier_id>/verify", methods=["POST"])
@require_role(Role.regulator, Role.district_official)
def verify(supplier_id: int):
    supplier = _supplier_or_404(supplier_id)
    if not supplier.can_verify(current_user):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        services.verify_supplier(supplier, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("%(name)s 已核验。", name=supplier.legal_name), "success")
    return redirect(url_for("supplier_profile.supplier", supplier_id=supplier.id))


@bp.route("/regulator/suppliers/<int:supplier_id>/credit-code", methods=["POST"])
@require_role(Role.admin)
def credit_code_override(supplier_id: int):
    supplier = _supplier_or_404(supplier_id)
    form = CreditCodeOverrideForm()
    if not form.validate_on_submit():
        flash(_("请填写 18 位代码和原因。"), "danger")
    else:
        try:
            services.override_credit_code(supplier, actor=current_user, credit_code=form.credit_code.data,
                                          reason=form.reason.data)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已登记例外的统一社会信用代码。"), "success")
    return redirect(url_for("supplier_profile.supplier", supplier_id=supplier.id))


@bp.route("/regulator/products")
@require_role(Role.regulator, Role.admin)
def products():
    form = ProductFilterForm(request.args)
    form.status.choices = _choices(PRODUCT_STATUS_TITLES, _("全部状态"))
    form.device_type.choices = _choices(DEVICE_TYPE_TITLES, _("全部类型"))
    form.tier.choices = _choices(TIER_TITLES, _("全部档次"))
    form.district.choices = _district_filter_choices()
    district_id = parse_int(form.district.data, minimum=1)
    query = supplier_queries.products_query(current_user, status=form.status.data, district_id=district_id,
                                            device_type=form.device_type.data, tier=form.tier.data, q=form.q.data)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("registry/supplier_products.html", form=form, page=page)
