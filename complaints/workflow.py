"""The regulator's workflow on a case and the supplier's answer (they flush, never commit; the routes commit).

submitted → accepted | rejected (reason) → investigating (assigned officer; supplier invited) → closed with a
finding; duplicates merged into a surviving case; a closed or rejected case reopened on the complainant's
request. State changes go through complaints.services.transition (timeline, audit, the complainant told).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from complaints.models import (
    CASE_CATEGORY_TITLES,
    FINDING_TITLES,
    Case,
    CaseState,
    Finding,
)
from complaints.services import compute_due, record_event, save_files, tell_complainant, transition
from core import audit
from core.accounts.models import User
from core.clock import now_utc
from core.db import db
from core.errors import DomainError, InvalidTransition, NotAllowed
from core.i18n import N_, _, msgid_of
from core.notifications import notify
from core.permissions import Role

C = CaseState

ASSIGNED = N_("已指派承办人")
ACCEPTED = N_("已受理")
REJECTED = N_("不予受理")
NOTE = N_("调查记录")
INVITED = N_("已通知被投诉单位说明情况")
ANSWERED = N_("被投诉单位已回复")
INVESTIGATING = N_("开始调查处理")
CLOSED = N_("已办结：%(finding)s")
MERGED = N_("与案件 %(target)s 合并处理")
MERGED_IN = N_("案件 %(source)s 已并入本案")
REOPENED = N_("重新处理")
REOPEN_REFUSED = N_("重新处理申请未获同意")
TYPICAL = N_("作为典型案例公布")
TYPICAL_WITHDRAWN = N_("典型案例已撤下")

#: Personal data a typical case's public text may not contain (the regulator writes it anonymised; this is the
#: last check): mainland mobile numbers, landlines, ID card numbers, e-mail addresses.
_PERSONAL = re.compile(r"1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|\d{17}[\dXx]|[^@\s]+@[^@\s]+\.\w+")


def _require_regulator(actor) -> None:
    if not Case.is_regulator(actor):
        raise NotAllowed(_("只有市场监管部门可以办理案件。"))


def _reason(text: str | None, message) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError(message, field="reason")
    return text


def assign(case: Case, officer: User, *, actor) -> None:
    _require_regulator(actor)
    if not case.is_open:
        raise InvalidTransition(_("案件已结束，不能再指派。"))
    if officer is None or not officer.active or not officer.has_role(Role.regulator):
        raise DomainError(_("承办人须为市场监管部门的在用账号。"), field="officer")
    before = case.assigned_to_id
    case.assigned_to_id = officer.id
    case.assigned_to = officer
    record_event(case, ASSIGNED, actor=actor, audience="internal", params={"officer": officer.display_name})
    audit.record(actor, "case.assigned", case, {"assigned_to_id": (before, officer.id)},
                 extra={"number": case.number})
    if officer.id != getattr(actor, "id", None):
        notify([officer], N_("案件 %(number)s 已指派给您"), params={"number": case.number},
               link=f"/regulator/cases/{case.number}")
    db.session.flush()


def accept(case: Case, *, actor, note: str | None = None) -> None:
    _require_regulator(actor)
    if case.assigned_to_id is None:
        case.assigned_to_id = actor.id
        case.assigned_to = actor
    transition(case, C.accepted, actor=actor, message=ACCEPTED, reason=(note or "").strip() or None, audience="all")


def reject(case: Case, *, actor, reason: str) -> None:
    _require_regulator(actor)
    reason = _reason(reason, _("请写明不予受理的理由，投诉人会看到。"))
    transition(case, C.rejected, actor=actor, message=REJECTED, reason=reason)
    case.reject_reason = reason


def add_note(case: Case, *, actor, text: str) -> None:
    _require_regulator(actor)
    text = _reason(text, _("请填写调查记录。"))
    record_event(case, NOTE, actor=actor, note=text, audience="internal")
    audit.record(actor, "case.note", case, extra={"number": case.number})
    db.session.flush()


def invite_supplier(case: Case, *, actor, question: str) -> None:
    """Ask the supplier to explain (it then sees the case without the reporter's identity). Starts the
    investigation when the case was only accepted."""
    _require_regulator(actor)
    question = _reason(question, _("请写明需要被投诉单位说明的问题。"))
    if case.supplier is None:
        raise InvalidTransition(_("被举报单位不在本平台登记，无法在线通知，请线下调查。"))
    if not case.is_open:
        raise InvalidTransition(_("案件已结束。"))
    if CaseState(case.state) == C.submitted:
        raise InvalidTransition(_("请先受理案件。"))
    if CaseState(case.state) == C.accepted:
        if case.assigned_to_id is None:
            case.assigned_to_id = actor.id
        transition(case, C.investigating, actor=actor, message=INVESTIGATING, audience="all")
    case.supplier_invited_at = now_utc()
    record_event(case, INVITED, actor=actor, note=question, audience="supplier")
    record_event(case, INVITED, actor=actor, audience="complainant")
    audit.record(actor, "case.supplier_invited", case, extra={"number": case.number,
                                                             "supplier_id": case.supplier_id})
    notify(case.supplier.staff, N_("请就案件 %(number)s 说明情况"), params={"number": case.number},
           link=f"/supplier/cases/{case.number}")
    db.session.flush()


def start_investigation(case: Case, *, actor) -> None:
    _require_regulator(actor)
    if case.assigned_to_id is None:
        case.assigned_to_id = actor.id
    transition(case, C.investigating, actor=actor, message=INVESTIGATING, audience="all")


def supplier_respond(case: Case, *, actor, text: str, files=()) -> None:
    """The invited supplier's answer (it may answer again while the case is open; each answer is kept)."""
    if not case.supplier_may_see(actor):
        raise NotAllowed(_("无权回复该案件。"))
    if not case.is_open:
        raise InvalidTransition(_("案件已结束，不能再回复。"))
    text = _reason(text, _("请填写情况说明。"))
    saved = save_files(case, files, party="supplier", actor=actor)
    case.supplier_response = text
    case.supplier_responded_at = now_utc()
    record_event(case, ANSWERED, actor=actor, note=text, audience="supplier", params={"files": len(saved)})
    record_event(case, ANSWERED, actor=actor, audience="complainant")
    audit.record(actor, "case.supplier_answered", case, extra={"number": case.number, "files": len(saved)})
    if case.assigned_to is not None:
        notify([case.assigned_to], N_("被投诉单位已回复案件 %(number)s"), params={"number": case.number},
               link=f"/regulator/cases/{case.number}")
    db.session.flush()


def close(case: Case, *, actor, finding: Finding, text: str) -> None:
    """Close with a finding; the reasons are shown to the complainant (and to the invited supplier)."""
    _require_regulator(actor)
    text = _reason(text, _("请写明处理结果和依据，投诉人会看到。"))
    finding = Finding(finding)
    if CaseState(case.state) == C.submitted:
        raise InvalidTransition(_("请先受理案件。"))
    case.finding = finding
    case.finding_text = text
    transition(case, C.closed, actor=actor, message=CLOSED, reason=text, audience="all",
               params={"finding": msgid_of(FINDING_TITLES[finding])})
    if case.supplier is not None and case.supplier_invited_at is not None:
        notify(case.supplier.staff, N_("案件 %(number)s 已办结"), params={"number": case.number},
               link=f"/supplier/cases/{case.number}")


def merge(case: Case, target: Case, *, actor, reason: str | None = None) -> None:
    """Merge a duplicate (same supplier and facts) into the surviving case; its complainant is told where to
    follow it. Evidence stays with the merged case and is listed on the survivor's page."""
    _require_regulator(actor)
    if target is None or target.id == case.id:
        raise DomainError(_("请填写要并入的另一个案件编号。"), field="target")
    if not target.is_open:
        raise InvalidTransition(_("案件 %(number)s 已结束，不能并入。", number=target.number), field="target")
    same_supplier = (case.supplier_id is not None and case.supplier_id == target.supplier_id) or (
        case.supplier_id is None and target.supplier_id is None
        and (case.supplier_name or "").strip() == (target.supplier_name or "").strip())
    if not same_supplier:
        raise DomainError(_("只能合并针对同一单位的案件。"), field="target")
    case.merged_into_id = target.id
    case.merged_into = target
    transition(case, C.merged, actor=actor, message=MERGED, reason=(reason or "").strip() or None,
               params={"target": target.number}, audience="all")
    record_event(target, MERGED_IN, actor=actor, params={"source": case.number}, audience="internal")
    audit.record(actor, "case.merged_in", target, extra={"number": target.number, "source": case.number})
    db.session.flush()


def merged_cases(case: Case) -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.merged_into_id == case.id).order_by(Case.id)))


def decide_reopen(case: Case, *, actor, grant: bool, reason: str) -> None:
    """Answer the complainant's request: reopen (a rejected case is examined again from submitted, a closed one
    goes back to investigating) or refuse with a reason."""
    _require_regulator(actor)
    reason = _reason(reason, _("请写明决定的理由，投诉人会看到。"))
    if case.reopen_requested_at is None:
        raise InvalidTransition(_("该案件没有待处理的重新处理申请。"))
    if grant:
        to = C.submitted if CaseState(case.state) == C.rejected else C.investigating
        if to == C.investigating and case.assigned_to_id is None:
            case.assigned_to_id = actor.id
        transition(case, to, actor=actor, message=REOPENED, reason=reason, audience="all")
        case.reopen_reason = None
    else:
        case.reopen_requested_at = None
        record_event(case, REOPEN_REFUSED, actor=actor, note=reason, audience="complainant")
        audit.record(actor, "case.reopen_refused", case, extra={"number": case.number}, reason=reason)
        tell_complainant(case, N_("案件 %(number)s：重新处理申请未获同意"))
        compute_due(case)
    db.session.flush()


def publish_typical(case: Case, *, actor, title: str, summary: str) -> None:
    """Publish a closed case at /cases/typical with an anonymised title and summary written by the regulator."""
    _require_regulator(actor)
    title, summary = (title or "").strip(), (summary or "").strip()
    if CaseState(case.state) != C.closed:
        raise InvalidTransition(_("只有已办结的案件可以作为典型案例公布。"))
    if not title or not summary:
        raise DomainError(_("请填写典型案例的标题和摘要。"), field="typical_summary" if title else "typical_title")
    if _PERSONAL.search(title) or _PERSONAL.search(summary):
        raise DomainError(_("典型案例不得包含电话号码、身份证号或电子邮箱等个人信息，请删去后再公布。"),
                          field="typical_summary")
    names = [n for n in (getattr(case.complainant, "display_name", None), case.reporter_name) if n]
    if any(len(n) >= 2 and (n in title or n in summary) for n in names):
        raise DomainError(_("典型案例不得出现投诉人或举报人的姓名。"), field="typical_summary")
    first = case.typical_published_at is None
    case.typical_title, case.typical_summary = title, summary
    case.typical_published_at = case.typical_published_at or now_utc()
    if first:
        record_event(case, TYPICAL, actor=actor, audience="internal")
    audit.record(actor, "case.typical_published", case, extra={"number": case.number})
    db.session.flush()


def withdraw_typical(case: Case, *, actor) -> None:
    _require_regulator(actor)
    if case.typical_published_at is None:
        raise InvalidTransition(_("该案件未作为典型案例公布。"))
    case.typical_published_at = None
    record_event(case, TYPICAL_WITHDRAWN, actor=actor, audience="internal")
    audit.record(actor, "case.typical_withdrawn", case, extra={"number": case.number})
    db.session.flush()


def category_title(case: Case) -> str:
    return str(CASE_CATEGORY_TITLES[case.category])
