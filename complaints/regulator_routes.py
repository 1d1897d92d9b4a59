"""The regulator's queue (/regulator/cases) and case page (/regulator/cases/<number>) with its actions."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from complaints import workflow
from complaints.forms import (
    AcceptForm,
    AssignForm,
    CloseForm,
    InviteForm,
    MergeForm,
    NoteForm,
    QueueFilterForm,
    RejectForm,
    ReopenDecisionForm,
    TypicalForm,
)
from complaints.models import (
    CASE_CATEGORY_TITLES,
    CASE_KIND_TITLES,
    CASE_STATE_TITLES,
    FINDING_TITLES,
    SANCTION_KIND_TITLES,
    Case,
    CaseKind,
    CaseState,
    Finding,
)
from complaints.price_monitor import evidence_text
from complaints.queries import (
    QueueFilter,
    case_by_number,
    event_text,
    events_for,
    files_for,
    queue_query,
    regulators,
    unknown_years,
)
from complaints.services import due_status, rule_title
from complaints.working_days import Calendar
from core import audit, nav
from core.accounts.models import User
from core.clock import to_shanghai
from core.db import db
from core.districts import district_choices
from core.errors import DomainError
from core.forms import BaseForm, attach_domain_error, choices, title_choices
from core.i18n import _, _l
from core.permissions import Role, require_role
from core.spreadsheet import safe_cell
from core.personal_data import record_view
from suppliers.models import Supplier

bp = Blueprint("regulator", __name__)

nav.add("complaints.regulator.queue", _l("投诉举报"), roles=(Role.regulator,), order=40)

FLAG_TITLES = {
    "overdue": _l("已超期"),
    "due_soon": _l("2 个工作日内到期"),
    "unknown": _l("期限待定（缺节假日数据）"),
    "reopen": _l("申请重新处理"),
    "mine": _l("我承办的"),
}
CONFLICT = _l("该案件刚被他人修改，未作任何更改。请查看最新状态后重试。")


def _filter_form() -> QueueFilterForm:
    form = QueueFilterForm(request.args)
    form.state.choices = title_choices(CASE_STATE_TITLES, _("全部状态"))
    form.category.choices = title_choices(CASE_CATEGORY_TITLES, _("全部类别"))
    form.kind.choices = title_choices(CASE_KIND_TITLES, _("全部来源"))
    form.flag.choices = title_choices(FLAG_TITLES, _("不限"))
    form.district.choices = choices([("", _("全部区县")),
                                     *[(str(i), n) for i, n in district_choices(str(get_locale()))]])
    rows = db.session.execute(select(Supplier.id, Supplier.legal_name).where(
        Supplier.id.in_(select(Case.supplier_id).where(Case.supplier_id.is_not(None)))).order_by(Supplier.legal_name))
    form.supplier.choices = choices([("", _("全部单位")), *[(str(i), n) for i, n in rows]])
    return form


def _queue_filter(form: QueueFilterForm) -> tuple[QueueFilter, bool]:
    """The filter the GET arguments ask for (no filter when they are not valid) and whether they were."""
    if not form.validate():
        return QueueFilter(), False
    return QueueFilter(state=form.state.data or None, category=form.category.data or None,
                       kind=form.kind.data or None, district_id=form.district.data or None,
                       supplier_id=form.supplier.data or None, flag=form.flag.data or None,
                       q=form.q.data or None), True


@bp.route("/regulator/cases")
@require_role(Role.regulator)
def queue():
    form = _filter_form()
    f, valid = _queue_filter(form)
    cal = Calendar.load()
    page = db.paginate(queue_query(f, viewer=current_user, cal=cal), per_page=25, error_out=False)
    counts = {flag: db.session.scalar(select(db.func.count()).select_from(
        queue_query(QueueFilter(flag=flag), viewer=current_user, cal=cal).order_by(None).subquery()))
        for flag in ("overdue", "due_soon", "unknown", "reopen")}
    return render_template(
        "complaints/regulator_queue.html", form=form, page=page, counts=counts, flag_titles=FLAG_TITLES,
        unknown_years=unknown_years(), state_titles=CASE_STATE_TITLES, category_titles=CASE_CATEGORY_TITLES,
        kind_titles=CASE_KIND_TITLES, due_status=lambda case: due_status(case, cal), invalid=not valid)


#: The export's columns: what the case is about and where it stands, never who filed it or how to reach them.
EXPORT_COLUMNS = (_l("编号"), _l("来源"), _l("类别"), _l("状态"), _l("涉及单位"), _l("区县"), _l("收到时间"),
                  _l("期限"), _l("核查结论"), _l("承办人"))


@bp.route("/regulator/cases.csv")
@require_role(Role.regulator)
def export():
    """The filtered queue as CSV (UTF-8 with BOM for Excel), without personal data."""
    f, _valid = _queue_filter(_filter_form())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(c) for c in EXPORT_COLUMNS])
    locale = str(get_locale())
    for c in db.session.scalars(queue_query(f, viewer=current_user).limit(10000)):
        writer.writerow([safe_cell(v) for v in (
            c.number, CASE_KIND_TITLES[c.kind], CASE_CATEGORY_TITLES[c.category], CASE_STATE_TITLES[c.state],
            c.supplier_label, c.district.display_name(locale) if c.district else "",
            to_shanghai(c.received_at).strftime("%Y-%m-%d %H:%M"), c.due_on.isoformat() if c.due_on else "",
            FINDING_TITLES[c.finding] if c.finding else "", c.assigned_to.display_name if c.assigned_to else "")])
    audit.record(current_user, "case.exported", None, extra={"filters": request.args.to_dict()})
    db.session.commit()
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = "attachment; filename=cases.csv"
    response.headers["Cache-Control"] = "no-store"
    return response


def _case_or_404(number: str) -> Case:
    case = case_by_number(number)
    if case is None:
        abort(404)
    return case


def _officer_choices():
    return choices([("", _("请选择")), *[(str(u.id), u.display_name) for u in regulators()]])


@bp.route("/regulator/cases/<number>")
@require_role(Role.regulator)
def case(number: str):
    return _render_case(_case_or_404(number), {})


def _render_case(case: Case, forms: dict):
    assign_form = forms.get("assign") or AssignForm(officer=case.assigned_to_id)
    assign_form.officer.choices = _officer_choices()
    if case.reporter_name or case.reporter_phone or case.reporter_email:
        record_view(current_user, case.complainant_id, case, ["reporter_name", "reporter_phone", "reporter_email"])
        db.session.commit()
    return render_template(
        "complaints/regulator_case.html", case=case, events=events_for(case, "regulator"),
        files=files_for(case, "regulator"), merged=workflow.merged_cases(case), assign_form=assign_form,
        accept_form=forms.get("accept") or AcceptForm(), reject_form=forms.get("reject") or RejectForm(),
        note_form=forms.get("note") or NoteForm(), invite_form=forms.get("invite") or InviteForm(),
        close_form=forms.get("close") or CloseForm(), merge_form=forms.get("merge") or MergeForm(),
        reopen_form=forms.get("reopen") or ReopenDecisionForm(),
        typical_form=forms.get("typical") or TypicalForm(typical_title=case.typical_title,
                                                         typical_summary=case.typical_summary),
        event_text=event_text, state_titles=CASE_STATE_TITLES, category_titles=CASE_CATEGORY_TITLES,
        kind_titles=CASE_KIND_TITLES, finding_titles=FINDING_TITLES, sanction_titles=SANCTION_KIND_TITLES,
        rule_title=rule_title, due_status=due_status, party="regulator", CaseKind=CaseKind, C=CaseState,
        evidence_text=evidence_text)


def _act(number: str, name: str, form_class, action, done_message, *, then=None):
    """Validate the action's form, run it, commit; on a problem show the case page with the form's errors.
    `then(case)` may name where to go after success (default: the case page)."""
    case = _case_or_404(number)
    form = form_class()
    if name == "assign":
        form.officer.choices = _officer_choices()
    if form.validate_on_submit():
        try:
            action(case, form)
            db.session.commit()
        except StaleDataError:
            db.session.rollback()
            flash(str(CONFLICT), "warning")
        except DomainError as exc:
            db.session.rollback()
            if not attach_domain_error(form, exc):
                flash(exc.message, "danger")
            return _render_case(_case_or_404(number), {name: form}), 422
        else:
            flash(done_message, "success")
            if then is not None and (target := then(case)):
                return redirect(target)
        return redirect(url_for(".case", number=case.number))
    return _render_case(case, {name: form}), 422


def _officer(form) -> User | None:
    return db.session.get(User, form.officer.data) if form.officer.data else None


@bp.route("/regulator/cases/<number>/assign", methods=["POST"])
@require_role(Role.regulator)
def assign(number: str):
    return _act(number, "assign", AssignForm,
                lambda case, form: workflow.assign(case, _officer(form), actor=current_user), _("已指派承办人。"))


@bp.route("/regulator/cases/<number>/accept", methods=["POST"])
@require_role(Role.regulator)
def accept(number: str):
    return _act(number, "accept", AcceptForm,
                lambda case, form: workflow.accept(case, actor=current_user, note=form.reason.data), _("已受理。"))


@bp.route("/regulator/cases/<number>/reject", methods=["POST"])
@require_role(Role.regulator)
def reject(number: str):
    return _act(number, "reject", RejectForm,
                lambda case, form: workflow.reject(case, actor=current_user, reason=form.reason.data),
                _("已决定不予受理，投诉人会收到理由。"))


@bp.route("/regulator/cases/<number>/note", methods=["POST"])
@require_role(Role.regulator)
def note(number: str):
    return _act(number, "note", NoteForm,
                lambda case, form: workflow.add_note(case, actor=current_user, text=form.reason.data),
                _("调查记录已保存。"))


@bp.route("/regulator/cases/<number>/invite", methods=["POST"])
@require_role(Role.regulator)
def invite(number: str):
    return _act(number, "invite", InviteForm,
                lambda case, form: workflow.invite_supplier(case, actor=current_user, question=form.reason.data),
                _("已通知被投诉单位说明情况。"))


@bp.route("/regulator/cases/<number>/close", methods=["POST"])
@require_role(Role.regulator)
def close(number: str):
    def action(case, form):
        workflow.close(case, actor=current_user, finding=form.finding.data, text=form.reason.data)

    def then(case):
        """A substantiated finding about a registered company goes on to its sanctions page."""
        if case.finding != Finding.substantiated or case.supplier_id is None:
            return None
        flash(_("核查属实：请在处罚页面作出处理（警告、责令整改、暂停、移出清单或列入黑名单）。"), "info")
        return url_for("complaints.sanctions.supplier_sanctions", supplier_id=case.supplier_id, case=case.number)

    return _act(number, "close", CloseForm, action, _("案件已办结。"), then=then)


@bp.route("/regulator/cases/<number>/merge", methods=["POST"])
@require_role(Role.regulator)
def merge(number: str):
    def action(case, form):
        target = case_by_number(form.target.data)
        if target is None:
            raise DomainError(_("没有编号为 %(number)s 的案件。", number=form.target.data), field="target")
        workflow.merge(case, target, actor=current_user, reason=form.reason.data)

    return _act(number, "merge", MergeForm, action, _("已合并，投诉人会收到通知。"))


@bp.route("/regulator/cases/<number>/reopen", methods=["POST"])
@require_role(Role.regulator)
def reopen(number: str):
    return _act(number, "reopen", ReopenDecisionForm,
                lambda case, form: workflow.decide_reopen(case, actor=current_user, grant=form.decision.data == "grant",
                                                          reason=form.reason.data),
                _("已答复重新处理申请。"))


@bp.route("/regulator/cases/<number>/typical", methods=["POST"])
@require_role(Role.regulator)
def typical(number: str):
    return _act(number, "typical", TypicalForm,
                lambda case, form: workflow.publish_typical(case, actor=current_user, title=form.typical_title.data,
                                                            summary=form.typical_summary.data),
                _("已作为典型案例公布。"))


@bp.route("/regulator/cases/<number>/typical/withdraw", methods=["POST"])
@require_role(Role.regulator)
def typical_withdraw(number: str):
    return _act(number, "withdraw", BaseForm, lambda case, form: workflow.withdraw_typical(case, actor=current_user),
                _("典型案例已撤下。"))
