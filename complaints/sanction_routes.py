"""Sanctions against a supplier (/regulator/suppliers/{id}/sanctions): the history, open rectifications, and
the forms that impose a sanction or complete / lift one. Regulators only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user

from complaints import sanctions
from complaints.models import CASE_CATEGORY_TITLES, SANCTION_KIND_TITLES, Sanction, SanctionKind
from complaints.sanction_forms import CompleteSanctionForm, SanctionForm
from core.clock import today_shanghai
from core.db import db
from core.districts import District, all_districts
from core.errors import DomainError
from core.forms import attach_domain_error
from core.i18n import _
from core.permissions import Role, require_role
from registry.lists import queries as list_queries
from suppliers.models import SUPPLIER_STATUS_TITLES, Supplier

bp = Blueprint("sanctions", __name__)


def _page(supplier: Supplier, form: SanctionForm, *, status: int = 200):
    today = today_shanghai()
    history = sanctions.supplier_sanctions(supplier)
    page = render_template(
        "complaints/sanctions.html", supplier=supplier, form=form, complete_form=CompleteSanctionForm(formdata=None),
        history=history, open_rectifications=sanctions.open_rectifications(supplier),
        listed=list_queries.supplier_listed_districts(supplier.id), today=today,
        is_overdue=lambda s: sanctions.is_overdue(s, today), completable=sanctions.COMPLETABLE,
        kind_titles=SANCTION_KIND_TITLES, category_titles=CASE_CATEGORY_TITLES,
        status_titles=SUPPLIER_STATUS_TITLES, districts_by_code={d.code: d for d in all_districts()})
    return page, status


@bp.route("/regulator/suppliers/<int:supplier_id>/sanctions", methods=["GET", "POST"])
@require_role(Role.regulator)
def supplier_sanctions(supplier_id: int):
    supplier = db.get_or_404(Supplier, supplier_id)
    form = SanctionForm()
    form.set_choices(list_queries.supplier_listed_districts(supplier.id))
    if not form.is_submitted():
        form.case_number.data = (request.args.get("case") or "").strip()[:20] or None
        return _page(supplier, form)
    if not form.validate():
        return _page(supplier, form, status=400)
    try:
        case = sanctions.case_for_sanction(form.case_number.data, supplier)
        district = db.session.get(District, form.district.data) if form.district.data else None
        kind = SanctionKind(form.kind.data)
        sanction = sanctions.impose(case, kind, actor=current_user, note=form.note.data,
                                    district=district if kind == SanctionKind.delisting else None,
                                    due_on=form.due_on.data, until=form.until.data)
    except DomainError as exc:
        db.session.rollback()
        if not attach_domain_error(form, exc):
            flash(exc.message, "danger")
        return _page(supplier, form, status=exc.status_code if exc.status_code < 500 else 400)
    db.session.commit()
    message = _("已作出处理：%(kind)s（案件 %(number)s）。", kind=SANCTION_KIND_TITLES[kind], number=case.number)
    if kind == SanctionKind.delisting and sanction.effects:
        effects = sanction.effects
        separator = "" if str(get_locale() or "zh").startswith("zh") else " "
        message += separator + _("已移出 %(n)s 个区县的目录清单并发布公告；取消未付款订单 %(canceled)s 个，"
                           "已通知待安装订单的用户 %(flagged)s 个。", n=len(effects.get("districts", [])),
                           canceled=len(effects.get("canceled_orders", [])),
                           flagged=len(effects.get("flagged_orders", [])))
    flash(message, "success")
    return redirect(url_for("complaints.sanctions.supplier_sanctions", supplier_id=supplier.id), code=303)


@bp.route("/regulator/suppliers/<int:supplier_id>/sanctions/<int:sanction_id>/complete", methods=["POST"])
@require_role(Role.regulator)
def complete(supplier_id: int, sanction_id: int):
    supplier = db.get_or_404(Supplier, supplier_id)
    sanction = db.session.get(Sanction, sanction_id)
    if sanction is None or sanction.supplier_id != supplier.id:
        abort(404)
    form = CompleteSanctionForm()
    back = url_for("complaints.sanctions.supplier_sanctions", supplier_id=supplier.id)
    if not form.validate_on_submit():
        flash(_("请填写完成或解除的说明。"), "danger")
        return redirect(back, code=303)
    try:
        sanctions.complete(sanction, actor=current_user, note=form.note.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(back, code=303)
    db.session.commit()
    flash(_("已记录：%(kind)s已完成或解除。", kind=SANCTION_KIND_TITLES[SanctionKind(sanction.kind)]), "success")
    return redirect(back, code=303)
