"""The supplier's side: the cases it was invited to answer (/supplier/cases), without the reporter's identity."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from complaints import workflow
from complaints.forms import AnswerForm
from complaints.models import CASE_CATEGORY_TITLES, CASE_KIND_TITLES, CASE_STATE_TITLES, FINDING_TITLES
from complaints.queries import case_by_number, event_text, events_for, files_for, supplier_cases
from complaints.services import due_status, rule_title
from core import nav
from core.db import db
from core.errors import DomainError
from core.forms import attach_domain_error
from core.i18n import _, _l
from core.permissions import Role, require_role
from suppliers.queries import staff_supplier_id

bp = Blueprint("supplier_cases", __name__)

nav.add("complaints.supplier_cases.index", _l("投诉处理"), roles=(Role.supplier,), order=24)


@bp.route("/supplier/cases")
@require_role(Role.supplier)
def index():
    supplier_id = staff_supplier_id(current_user) or abort(403)
    return render_template("complaints/supplier_cases.html", cases=supplier_cases(supplier_id),
                           state_titles=CASE_STATE_TITLES, category_titles=CASE_CATEGORY_TITLES)


@bp.route("/supplier/cases/<number>", methods=["GET", "POST"])
@require_role(Role.supplier)
def case(number: str):
    case = case_by_number(number)
    if case is None or not case.supplier_may_see(current_user):
        abort(404)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            workflow.supplier_respond(case, actor=current_user, text=form.text.data,
                                      files=request.files.getlist("evidence"))
        except DomainError as exc:
            db.session.rollback()
            if not attach_domain_error(form, exc):
                flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("情况说明已提交给市场监管部门。"), "success")
            return redirect(url_for(".case", number=case.number))
    return render_template("complaints/supplier_case.html", case=case, form=form,
                           events=events_for(case, "supplier"), files=files_for(case, "supplier"),
                           event_text=event_text, state_titles=CASE_STATE_TITLES, category_titles=CASE_CATEGORY_TITLES,
                           kind_titles=CASE_KIND_TITLES, finding_titles=FINDING_TITLES, rule_title=rule_title,
                           due_status=due_status, party="supplier")
