"""Company-register pages: registration, the profile and staff, the overseers' list, verification, licences.

The workbench and the overseers' company page show products, so they live in catalog (catalog/routes.py).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user, login_user

from core import nav
from core.accounts.forms import EmptyForm
from core.db import db
from core.districts import district_choices
from core.errors import DomainError
from core.forms import attach_domain_error, choices, district_filter_choices, title_choices
from core.i18n import _, _l
from core.permissions import Role, require_role
from core.request_args import parse_int
from core.uploads import save_upload, send_upload
from suppliers import keys, queries, services
from suppliers.forms import (
    CreditCodeOverrideForm,
    PlatformKeyForm,
    StaffForm,
    SupplierFilterForm,
    SupplierProfileForm,
    SupplierRegistrationForm,
)
from suppliers.key_pages import revoke_key_and_return
from suppliers.models import OVERSIGHT_ROLES, SUPPLIER_STATUS_TITLES, Supplier

bp = Blueprint("suppliers", __name__)
nav.add("suppliers.suppliers", _l("销售安装单位"), roles=OVERSIGHT_ROLES, order=40)


def own_supplier() -> Supplier:
    """The company of the logged-in staff member (403 for a supplier account without one)."""
    supplier = queries.supplier_of(current_user)
    if supplier is None:
        abort(403)
    return supplier


def _supplier_or_404(supplier_id: int) -> Supplier:
    supplier = db.session.get(Supplier, supplier_id)
    if supplier is None:
        abort(404)
    return supplier


@bp.route("/suppliers/register", methods=["GET", "POST"])
def register():
    form = SupplierRegistrationForm()
    if form.validate_on_submit():
        try:
            _supplier, user = services.register_supplier(
                legal_name=form.legal_name.data, credit_code=form.credit_code.data, email=form.email.data,
                phone=form.phone.data, display_name=form.display_name.data, password=form.password.data,
                locale=str(get_locale()))
        except DomainError as exc:
            if not attach_domain_error(form, exc):
                flash(exc.message, "danger")
        else:
            db.session.commit()
            login_user(user)
            flash(_("单位注册成功。请完善单位资料，等待核验。"), "success")
            return redirect(url_for("main.index"))
    return render_template("suppliers/register.html", form=form)


@bp.route("/supplier/profile", methods=["GET", "POST"])
@require_role(Role.supplier)
def profile():
    supplier = own_supplier()
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
            return redirect(url_for("catalog.supplier_dashboard"))
    return render_template("suppliers/profile.html", form=form, supplier=supplier)


@bp.route("/supplier/staff", methods=["GET", "POST"])
@require_role(Role.supplier)
def staff():
    supplier = own_supplier()
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
            return redirect(url_for("suppliers.staff"))
    return render_template("suppliers/staff.html", form=form, supplier=supplier)


@bp.route("/files/suppliers/<int:supplier_id>/licence")
@require_role(*Role)
def licence(supplier_id: int):
    supplier = _supplier_or_404(supplier_id)
    if not supplier.can_view_documents(current_user):
        abort(403)
    return send_upload(supplier.licence_file, _("营业执照-%(code)s", code=supplier.credit_code))


@bp.route("/regulator/suppliers")
@require_role(*OVERSIGHT_ROLES)
def suppliers():
    form = SupplierFilterForm(request.args)
    form.status.choices = title_choices(SUPPLIER_STATUS_TITLES, _("全部状态"))
    form.district.choices = district_filter_choices()
    district_id = parse_int(form.district.data, minimum=1)
    query = queries.suppliers_query(current_user, status=form.status.data, district_id=district_id,
                                             q=form.q.data)
    page = db.paginate(query, per_page=30, error_out=False)
    return render_template("suppliers/list.html", form=form, page=page,
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
    return redirect(url_for("catalog.oversee_supplier", supplier_id=supplier.id))


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
    return redirect(url_for("catalog.oversee_supplier", supplier_id=supplier.id))


def _render_keys(supplier: Supplier, form: PlatformKeyForm, *, new_key=None, token: str | None = None):
    """The company's keys; `token` (just created) appears once, in a response that must not be cached."""
    response = make_response(render_template("suppliers/keys.html", supplier=supplier, form=form,
                                             keys=keys.supplier_keys(supplier.id), new_key=new_key, token=token))
    if request.method == "POST":
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/supplier/keys", methods=["GET", "POST"])
@require_role(Role.supplier)
def platform_keys():
    supplier = own_supplier()
    form = PlatformKeyForm()
    if not form.validate_on_submit():
        return _render_keys(supplier, form)
    try:
        key, token = keys.create_key(current_user, name=form.name.data, supplier=supplier)
    except DomainError as exc:
        if not attach_domain_error(form, exc):
            flash(exc.message, "danger")
        return _render_keys(supplier, form)
    db.session.commit()
    # rendered, not redirected: the key must never pass through the session, a flash message or a log
    return _render_keys(supplier, PlatformKeyForm(formdata=None), new_key=key, token=token)


@bp.route("/supplier/keys/<int:key_id>/revoke", methods=["POST"])
@require_role(Role.supplier)
def revoke_platform_key(key_id: int):
    supplier = own_supplier()
    key = db.session.get(keys.PlatformKey, key_id)
    if key is None or key.supplier_id != supplier.id:
        abort(404)
    return revoke_key_and_return(key, "suppliers.platform_keys")

