"""Catalog pages: the company workbench, products and certificates, product oversight, document downloads."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from catalog import queries, services
from catalog.forms import CertificateForm, CertificateStatusForm, ProductFilterForm, ProductForm
from catalog.models import (
    DEVICE_TYPE_TITLES,
    PRODUCT_STATUS_TITLES,
    TIER_TITLES,
    CertificateStatus,
    ProductStatus,
)
from catalog.tiers import FEATURE_LABELS, FEATURES_BY_DEVICE_TYPE, plain_message, rule_label
from core import nav
from core.accounts.forms import EmptyForm
from core.clock import today_shanghai
from core.db import db
from core.errors import DomainError, EditConflict
from core.forms import attach_domain_error, district_filter_choices, title_choices
from core.i18n import _, _l
from core.permissions import Role, require_role
from core.request_args import parse_int
from core.uploads import save_upload, send_upload
from suppliers.forms import CreditCodeOverrideForm
from suppliers.models import OVERSIGHT_ROLES, PROFILE_FIELD_TITLES, SUPPLIER_STATUS_TITLES, Supplier
from suppliers.queries import supplier_of

bp = Blueprint("catalog", __name__)

nav.add("catalog.supplier_dashboard", _l("单位工作台"), roles=(Role.supplier,), order=20)
nav.add("catalog.oversee_products", _l("产品监管"), roles=(Role.regulator, Role.admin), order=41)
#: Verdicts on any page: a rule id as words, a message without the vocabulary codes meant for API clients.
bp.add_app_template_filter(rule_label, "rule_label")
bp.add_app_template_filter(plain_message, "plain_message")


def _editable_product(product_id: int):
    product = queries.get_product_or_404(product_id)
    if not product.can_manage(current_user):
        abort(403)
    return product


def _store(field, kind: str) -> str | None:
    """Save an optional uploaded file; DomainError (with the field name) when it is refused."""
    storage = field.data
    if storage is None or not getattr(storage, "filename", ""):
        return None
    return save_upload(storage, kind=kind, field=field.name)


def _fail(form, exc: DomainError) -> None:
    if not attach_domain_error(form, exc):
        flash(exc.message, "danger")


def _render_form(form, product=None, verdict=None):
    return render_template("catalog/product_form.html", form=form, product=product, verdict=verdict,
                           feature_labels=FEATURE_LABELS, features_by_type=FEATURES_BY_DEVICE_TYPE)


def _preview(form, product=None):
    try:
        return services.preview_verdict(form.to_data(), product=product,
                                        has_authorisation=bool(product and product.authorisation_file),
                                        declared_certificates=form.declared_certificates())
    except (DomainError, ValueError, TypeError):
        return None


@bp.route("/supplier")
@require_role(Role.supplier)
def supplier_dashboard():
    supplier = supplier_of(current_user) or abort(403)
    return render_template("catalog/supplier_dashboard.html", supplier=supplier,
                           products=queries.supplier_products(supplier.id),
                           counts=queries.status_counts(supplier.id),
                           expiring=queries.expiring_certificates(supplier.id, today_shanghai()),
                           missing=[PROFILE_FIELD_TITLES[m] for m in supplier.missing_public_fields()],
                           status_titles=SUPPLIER_STATUS_TITLES)


@bp.route("/supplier/products/new", methods=["GET", "POST"])
@require_role(Role.supplier)
def product_new():
    supplier = supplier_of(current_user) or abort(403)
    form = ProductForm()
    if request.method == "POST" and "check" in request.form:
        form.validate()
        return _render_form(form, verdict=_preview(form))
    if form.validate_on_submit():
        try:
            product = services.create_product(supplier, form.to_data(), actor=current_user,
                                              authorisation_file=_store(form.authorisation, "authorisation"))
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("产品已保存为草稿。请添加证书后提交校验。"), "success")
            return redirect(url_for("catalog.product", product_id=product.id))
    return _render_form(form)


@bp.route("/supplier/products/<int:product_id>/edit", methods=["GET", "POST"])
@require_role(Role.supplier)
def product_edit(product_id: int):
    product = _editable_product(product_id)
    if not product.can_edit(current_user):
        abort(403)
    form = ProductForm()
    if request.method == "GET":
        form.fill_from(product)
    elif "check" in request.form:
        form.validate()
        return _render_form(form, product, _preview(form, product))
    if form.validate_on_submit():
        try:
            services.update_product(product, form.to_data(), actor=current_user, seen_version=form.seen_version(),
                                    authorisation_file=_store(form.authorisation, "authorisation"))
        except EditConflict as exc:  # someone else saved first: show the current values, save nothing
            db.session.rollback()
            flash(exc.message, "warning")
            current = ProductForm(formdata=None)
            current.fill_from(product)
            return _render_form(current, product), exc.status_code
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("产品资料已保存。"), "success")
            return redirect(url_for("catalog.product", product_id=product.id))
    return _render_form(form, product)


@bp.route("/supplier/products/<int:product_id>")
@require_role(Role.supplier)
def product(product_id: int):
    product = _editable_product(product_id)
    live = services.evaluate(product) if product.status in (ProductStatus.draft, ProductStatus.invalid) else None
    return render_template("catalog/product.html", product=product, verdict=live or product.verdict,
                           live=live is not None, feature_labels=FEATURE_LABELS, form=EmptyForm())


@bp.route("/supplier/products/<int:product_id>/<any(submit, withdraw, reopen):action>", methods=["POST"])
@require_role(Role.supplier)
def product_action(product_id: int, action: str):
    product = _editable_product(product_id)
    allowed = {"submit": product.can_submit, "withdraw": product.can_withdraw, "reopen": product.can_reopen}
    if not allowed[action](current_user):
        abort(403)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        if action == "submit":
            verdict = services.submit_product(product, actor=current_user)
        elif action == "withdraw":
            services.withdraw_product(product, actor=current_user)
        else:
            services.reopen_product(product, actor=current_user)
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("catalog.product", product_id=product.id))
    db.session.commit()
    if action == "submit":
        flash(_("校验通过，产品有效。") if verdict["valid"] else _("校验未通过，请按下列原因修改后重新提交。"),
              "success" if verdict["valid"] else "warning")
    else:
        flash(_("产品已撤回。") if action == "withdraw" else _("产品已恢复为草稿。"), "success")
    return redirect(url_for("catalog.product", product_id=product.id))


@bp.route("/supplier/products/<int:product_id>/certificates/new", methods=["GET", "POST"])
@require_role(Role.supplier)
def certificate_new(product_id: int):
    product = _editable_product(product_id)
    if not product.can_edit(current_user):
        abort(403)
    form = CertificateForm()
    if form.validate_on_submit():
        try:
            services.add_certificate(product, form.to_data(), actor=current_user,
                                     scan_file=_store(form.scan, "certificate"))
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("证书已添加。"), "success")
            return redirect(url_for("catalog.product", product_id=product.id))
    return render_template("catalog/certificate_form.html", form=form, product=product, cert=None)


@bp.route("/supplier/certificates/<int:certificate_id>/edit", methods=["GET", "POST"])
@require_role(Role.supplier)
def certificate_edit(certificate_id: int):
    cert = queries.get_certificate_or_404(certificate_id)
    if not cert.product.can_manage(current_user) or not cert.can_edit(current_user):
        abort(403)
    form = CertificateForm()
    if request.method == "GET":
        form.fill_from(cert)
    if form.validate_on_submit():
        try:
            services.update_certificate(cert, form.to_data(), actor=current_user,
                                        scan_file=_store(form.scan, "certificate"))
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("证书已更新。"), "success")
            return redirect(url_for("catalog.product", product_id=cert.product_id))
    return render_template("catalog/certificate_form.html", form=form, product=cert.product, cert=cert)


@bp.route("/regulator/suppliers/<int:supplier_id>")
@require_role(*OVERSIGHT_ROLES)
def oversee_supplier(supplier_id: int):
    supplier = db.get_or_404(Supplier, supplier_id)
    if not supplier.can_view_documents(current_user):
        abort(403)
    return render_template("catalog/supplier_detail.html", supplier=supplier, form=EmptyForm(),
                           products=queries.supplier_products(supplier.id),
                           override_form=CreditCodeOverrideForm(formdata=None, credit_code=supplier.credit_code),
                           missing=[PROFILE_FIELD_TITLES[m] for m in supplier.missing_public_fields()],
                           status_titles=SUPPLIER_STATUS_TITLES)


@bp.route("/regulator/products")
@require_role(Role.regulator, Role.admin)
def oversee_products():
    form = ProductFilterForm(request.args)
    form.status.choices = title_choices(PRODUCT_STATUS_TITLES, _("全部状态"))
    form.device_type.choices = title_choices(DEVICE_TYPE_TITLES, _("全部类型"))
    form.tier.choices = title_choices(TIER_TITLES, _("全部档次"))
    form.district.choices = district_filter_choices()
    district_id = parse_int(form.district.data, minimum=1)
    query = queries.products_query(current_user, status=form.status.data, district_id=district_id,
                                   device_type=form.device_type.data, tier=form.tier.data, q=form.q.data)
    page = db.paginate(query, per_page=50, error_out=False)
    return render_template("catalog/oversee_products.html", form=form, page=page)


@bp.route("/regulator/products/<int:product_id>")
@require_role(Role.regulator, Role.admin, Role.district_official)
def oversee_product(product_id: int):
    product = queries.get_product_or_404(product_id)
    if not product.can_oversee(current_user):
        abort(403)
    return render_template("catalog/oversee_product.html", product=product, feature_labels=FEATURE_LABELS,
                           status_form=CertificateStatusForm(formdata=None, status=CertificateStatus.suspended))


@bp.route("/regulator/certificates/<int:certificate_id>/status", methods=["POST"])
@require_role(Role.regulator)
def certificate_status(certificate_id: int):
    cert = queries.get_certificate_or_404(certificate_id)
    if not cert.can_set_status(current_user):
        abort(403)
    form = CertificateStatusForm()
    if form.validate_on_submit():
        try:
            services.set_certificate_status(cert, CertificateStatus(form.status.data), actor=current_user,
                                            reason=form.reason.data)
        except DomainError as exc:
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("证书状态已更新，产品已重新校验。"), "success")
    else:
        flash(_("请选择状态并填写原因。"), "danger")
    return redirect(url_for("catalog.oversee_product", product_id=cert.product_id))


@bp.route("/files/products/<int:product_id>/authorisation")
@require_role(*Role)
def authorisation_file(product_id: int):
    product = queries.get_product_or_404(product_id)
    if not product.can_view_documents(current_user):
        abort(403)
    return send_upload(product.authorisation_file, _("授权书-%(model)s", model=product.model))


@bp.route("/files/certificates/<int:certificate_id>/scan")
@require_role(*Role)
def certificate_scan(certificate_id: int):
    cert = queries.get_certificate_or_404(certificate_id)
    if not cert.product.can_view_documents(current_user):
        abort(403)
    return send_upload(cert.scan_file, _("证书-%(number)s", number=cert.number))
