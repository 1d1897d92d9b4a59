"""Filing: a resident's complaint (/complaints/new), anyone's report (/report, /report/track) and the
complainant's own cases (/my/cases)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from complaints import filing
from complaints.forms import AddInfoForm, ComplaintForm, ReasonForm, ReportForm, TrackForm
from complaints.models import CASE_CATEGORY_TITLES, CASE_KIND_TITLES, CASE_STATE_TITLES, FINDING_TITLES, Case
from complaints.queries import case_by_number, event_text, events_for, files_for, my_cases
from complaints.services import due_status, rule_title
from core import audit, nav
from core.db import db
from core.districts import district_choices
from core.errors import DomainError
from core.extensions import limiter
from core.forms import attach_domain_error, choices
from core.i18n import _, _l
from core.permissions import Role, require_role
from core.uploads import send_upload
from orders.models import Order
from suppliers.models import Supplier, SupplierStatus

bp = Blueprint("filing", __name__)

nav.add("complaints.filing.my_cases_page", _l("我的投诉"), roles=(Role.resident,), order=26)
nav.add_footer("complaints.filing.report", _l("举报违法违规"), order=20)

#: Cases an anonymous reporter proved to hold the tracking code of, in this browser session.
TRACKED = "tracked_cases"


def _case_context(case: Case, party: str) -> dict:
    return {"case": case, "party": party, "events": events_for(case, party), "files": files_for(case, party),
            "event_text": event_text, "state_titles": CASE_STATE_TITLES, "category_titles": CASE_CATEGORY_TITLES,
            "kind_titles": CASE_KIND_TITLES, "finding_titles": FINDING_TITLES, "rule_title": rule_title,
            "due_status": due_status}


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _supplier_choices(blank):
    rows = db.session.execute(select(Supplier.id, Supplier.legal_name).where(
        Supplier.status != SupplierStatus.registered).order_by(Supplier.legal_name))
    return choices([("", blank), *[(str(i), n) for i, n in rows]])


def _file_or_error(form, call):
    """Run a filing call; a DomainError is shown next to its field (or flashed). Returns the result or None."""
    try:
        return call()
    except DomainError as exc:
        db.session.rollback()
        if not attach_domain_error(form, exc):
            flash(exc.message, "danger")
        return None


# -- a resident's complaint --------------------------------------------------------------------------------

@bp.route("/complaints/new", methods=["GET", "POST"])
@require_role(Role.resident)
def new_complaint():
    orders = list(db.session.scalars(select(Order).where(Order.resident_id == current_user.id)
                                     .order_by(Order.created_at.desc()).limit(50)))
    form = ComplaintForm()
    form.supplier.choices = _supplier_choices(_("请选择单位"))
    form.order.choices = choices([("", _("不涉及具体订单")),
                                  *[(str(o.id), f"{o.number} · {o.supplier.legal_name}") for o in orders]])
    products = {line.product_id: line.description for o in orders for line in o.lines}
    form.product.choices = choices([("", _("不涉及具体产品")), *[(str(k), v) for k, v in products.items()]])
    if request.method == "GET":
        order = next((o for o in orders if str(o.id) == request.args.get("order")), None)
        if order is not None:
            form.order.data, form.supplier.data = order.id, order.supplier_id
            form.product.data = order.lines[0].product_id if order.lines else None
        elif (request.args.get("supplier") or "").isdigit():
            form.supplier.data = int(request.args["supplier"])
    if form.validate_on_submit():
        supplier = db.session.get(Supplier, form.supplier.data) if form.supplier.data else None
        order = next((o for o in orders if o.id == form.order.data), None)
        product = next((line.product for o in orders for line in o.lines if line.product_id == form.product.data),
                       None)
        if supplier is None:
            form.supplier.errors.append(_("请选择被投诉的单位。"))
        elif form.order.data and order is None:
            form.order.errors.append(_("只能就您本人向该单位下的订单投诉。"))
        else:
            case = _file_or_error(form, lambda: filing.file_complaint(
                current_user, supplier=supplier, category=form.category.data, description=form.description.data,
                resolution_wanted=form.resolution_wanted.data, order=order, product=product,
                files=request.files.getlist("evidence")))
            if case is not None:
                db.session.commit()
                flash(_("投诉已提交，案件编号 %(number)s。处理进展会发到您的消息中心。", number=case.number),
                      "success")
                return redirect(url_for(".my_case", number=case.number))
    return render_template("complaints/new_complaint.html", form=form)


# -- anyone's report -----------------------------------------------------------------------------------------

def _report_limit() -> str:
    return current_app.config["REPORT_RATE_LIMIT"]


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(_report_limit, methods=["POST"], error_message=lambda: _("提交过于频繁。"))
def report():
    form = ReportForm()
    form.supplier.choices = _supplier_choices(_("不在列表中（请在下面填写名称）"))
    form.district.choices = choices([("", _("不清楚")), *[(str(i), n) for i, n in district_choices(str(get_locale()))]])
    if request.method == "POST" and form.validate_on_submit():
        spam = form.spam_reason()
        if spam is not None:
            current_app.logger.info("report refused as automated (%s)", spam)
            flash(_("提交未成功：请稍等片刻，确认内容后再提交（网址一栏请留空）。"), "warning")
        else:
            supplier = db.session.get(Supplier, form.supplier.data) if form.supplier.data else None
            result = _file_or_error(form, lambda: filing.file_report(
                category=form.category.data, description=form.description.data, supplier=supplier,
                supplier_name=form.supplier_name.data, district_id=form.district.data or None,
                reporter=current_user, name=form.reporter_name.data, phone=form.reporter_phone.data,
                email=form.reporter_email.data, files=request.files.getlist("evidence")))
            if result is not None:
                case, code = result
                db.session.commit()
                if code is None:
                    flash(_("举报已提交，案件编号 %(number)s。", number=case.number), "success")
                    return redirect(url_for(".my_case", number=case.number))
                session.setdefault(TRACKED, [])
                session[TRACKED] = [*session[TRACKED][-9:], case.number]
                return _no_store(current_app.make_response(
                    render_template("complaints/report_filed.html", case=case, code=code)))
    form.started.data = form.new_stamp()
    return render_template("complaints/report.html", form=form)


@bp.route("/report/track", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour", methods=["POST"], error_message=lambda: _("尝试过于频繁。"))
def track():
    form = TrackForm()
    if form.validate_on_submit():
        case = filing.tracked_case(form.number.data, form.code.data)
        if case is None:
            form.code.errors.append(_("案件编号或查询码不正确。"))
        else:
            session[TRACKED] = [*[n for n in session.get(TRACKED, []) if n != case.number][-9:], case.number]
            return redirect(url_for(".tracked", number=case.number))
    return _no_store(current_app.make_response(render_template("complaints/track.html", form=form)))


def _tracked_or_404(number: str) -> Case:
    case = case_by_number(number)
    if case is None or case.number not in session.get(TRACKED, []) or not case.tracking_code_hash:
        abort(404)
    return case


@bp.route("/report/track/<number>", methods=["GET", "POST"])
def tracked(number: str):
    case = _tracked_or_404(number)
    form = AddInfoForm()
    if form.validate_on_submit():
        if _file_or_error(form, lambda: filing.add_information(case, actor=None, text=form.text.data,
                                                              files=request.files.getlist("evidence"))) is not None:
            db.session.commit()
            flash(_("补充材料已提交。"), "success")
            return redirect(url_for(".tracked", number=case.number))
    return _no_store(current_app.make_response(render_template(
        "complaints/my_case.html", info_form=form, reopen_form=ReasonForm(), tracked=True,
        may_reopen=filing.may_ask_reopen(case), reopen_deadline=filing.reopen_deadline(case),
        info_action=url_for(".tracked", number=case.number),
        reopen_action=url_for(".tracked_reopen", number=case.number), **_case_context(case, "complainant"))))


@bp.route("/report/track/<number>/reopen", methods=["POST"])
def tracked_reopen(number: str):
    case = _tracked_or_404(number)
    _reopen(case, actor=None)
    return redirect(url_for(".tracked", number=case.number))


def _reopen(case: Case, *, actor) -> None:
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            filing.ask_reopen(case, actor=actor, reason=form.reason.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(_("已提交重新处理申请，监管部门会答复您。"), "success")
    else:
        flash(_("请说明申请重新处理的理由。"), "danger")


# -- the complainant's cases --------------------------------------------------------------------------------

@bp.route("/my/cases")
@require_role(Role.resident)
def my_cases_page():
    return render_template("complaints/my_cases.html", cases=my_cases(current_user), state_titles=CASE_STATE_TITLES,
                           category_titles=CASE_CATEGORY_TITLES, kind_titles=CASE_KIND_TITLES)



def _own_or_404(number: str) -> Case:
    case = case_by_number(number)
    if case is None or not case.is_complainant(current_user):
        abort(404)
    return case


@bp.route("/my/cases/<number>", methods=["GET", "POST"])
@require_role(Role.resident)
def my_case(number: str):
    case = _own_or_404(number)
    form = AddInfoForm()
    if form.validate_on_submit():
        if _file_or_error(form, lambda: filing.add_information(case, actor=current_user, text=form.text.data,
                                                              files=request.files.getlist("evidence"))) is not None:
            db.session.commit()
            flash(_("补充材料已提交。"), "success")
            return redirect(url_for(".my_case", number=case.number))
    return _no_store(current_app.make_response(render_template(
        "complaints/my_case.html", info_form=form, reopen_form=ReasonForm(), tracked=False,
        may_reopen=filing.may_ask_reopen(case), reopen_deadline=filing.reopen_deadline(case),
        info_action=url_for(".my_case", number=case.number),
        reopen_action=url_for(".ask_reopen", number=case.number), **_case_context(case, "complainant"))))


@bp.route("/my/cases/<number>/reopen", methods=["POST"])
@require_role(Role.resident)
def ask_reopen(number: str):
    case = _own_or_404(number)
    _reopen(case, actor=current_user)
    return redirect(url_for(".my_case", number=case.number))


# -- evidence files ------------------------------------------------------------------------------------------

@bp.route("/cases/<number>/files/<int:file_id>")
def case_file(number: str, file_id: int):
    """An evidence file, for the parties allowed to see it (complainant, tracked reporter, regulator, and the
    invited supplier only for its own and the regulator's files)."""
    case = case_by_number(number)
    if case is None:
        abort(404)
    if Case.is_regulator(current_user):
        party = "regulator"
    elif case.is_complainant(current_user) or (case.tracking_code_hash and case.number in session.get(TRACKED, [])):
        party = "complainant"
    elif case.supplier_may_see(current_user):
        party = "supplier"
    else:
        abort(404)
    item = next((f for f in files_for(case, party) if f.id == file_id), None)
    if item is None:
        abort(404)
    audit.record(current_user if current_user.is_authenticated else None, "case.file_viewed", case,
                 extra={"number": case.number, "file_id": item.id, "party": party})
    db.session.commit()
    return _no_store(send_upload(item.stored_name, item.original_name))
