"""The case's core services: numbers, deadlines, state changes and the timeline (they flush, never commit).

Every state change goes through `transition`: it checks ALLOWED, stamps the state's time, recomputes the
deadline, appends the timeline entry, writes the audit log and tells the complainant (when there is one)
and the assigned officer. Filing, the regulator's workflow, sanctions and the price monitor build on these.
"""

from __future__ import annotations

from datetime import date

from flask import current_app
from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from complaints.models import (
    CASE_PREFIX,
    CASE_STATE_TITLES,
    Case,
    CaseEvent,
    CaseFile,
    CaseKind,
    CaseSequence,
    CaseState,
)
from complaints.working_days import Calendar, CalendarUnknown
from core import audit
from core.clock import now_utc, to_shanghai, today_shanghai
from core.db import db
from core.errors import DomainError, InvalidTransition
from core.i18n import N_, _, msgid_of
from core.notifications import notify
from core.uploads import save_upload
from suppliers import complaint_figures

C = CaseState

#: Deadline rules: (setting, counted in working days?). Defaults in core/config.py (SPEC 3.6).
RULES = {
    "complaint_acceptance": ("COMPLAINT_ACCEPT_WORKING_DAYS", True),
    "complaint_mediation": ("COMPLAINT_MEDIATION_DAYS", False),
    "report_check": ("REPORT_CHECK_WORKING_DAYS", True),
    "case_decision": ("CASE_DECISION_DAYS", False),
}
RULE_TITLES = {
    "complaint_acceptance": N_("投诉受理期限（收到之日起 %(n)s 个工作日）"),
    "complaint_mediation": N_("调解期限（受理之日起 %(n)s 日）"),
    "report_check": N_("举报核查期限（收到之日起 %(n)s 个工作日）"),
    "case_decision": N_("立案处理期限（立案之日起 %(n)s 日）"),
}


# -- case numbers --------------------------------------------------------------------------------------------

def next_number(kind: CaseKind, on: date | None = None) -> str:
    """The next TS-/JB-/JC-YYYY-NNNNNN number. The UPDATE holds the sequence row's lock until commit, so two
    transactions filing at once on PostgreSQL get different numbers; a number is never handed out twice."""
    prefix = CASE_PREFIX[CaseKind(kind)]
    year = (on or today_shanghai()).year
    for _attempt in range(3):
        last = db.session.execute(
            update(CaseSequence).where(CaseSequence.prefix == prefix, CaseSequence.year == year)
            .values(last=CaseSequence.last + 1).returning(CaseSequence.last)).scalar()
        if last is not None:
            return f"{prefix}-{year}-{last:06d}"
        try:
            with db.session.begin_nested():
                db.session.execute(insert(CaseSequence).values(prefix=prefix, year=year, last=0))
        except IntegrityError:
            pass  # another transaction created the row first: update it
    raise RuntimeError("case_sequence: could not allocate a number")  # pragma: no cover - needs a broken DB


# -- deadlines -----------------------------------------------------------------------------------------------

def rule_days(rule: str) -> int:
    return int(current_app.config[RULES[rule][0]])


def rule_title(rule: str | None) -> str:
    return _(RULE_TITLES[rule], n=rule_days(rule)) if rule in RULE_TITLES else ""


def deadline_rule(case: Case) -> tuple[str | None, date | None]:
    """The rule running for the case in its state and the day it counts from (Asia/Shanghai)."""
    state = CaseState(case.state)
    if state == C.submitted:
        rule = "complaint_acceptance" if case.kind == CaseKind.complaint else "report_check"
        return rule, to_shanghai(case.received_at).date()
    if state in (C.accepted, C.investigating) and case.accepted_at is not None:
        rule = "complaint_mediation" if case.kind == CaseKind.complaint else "case_decision"
        return rule, to_shanghai(case.accepted_at).date()
    return None, None


def compute_due(case: Case, cal: Calendar | None = None) -> None:
    """Set due_on / due_rule / due_unknown_year from the case's state. A year without holiday data names the
    year in due_unknown_year and leaves due_on at the earliest possible day, so that the regulator's page says
    the deadline is provisional instead of guessing."""
    rule, start = deadline_rule(case)
    case.due_rule = rule
    case.due_unknown_year = None
    if rule is None:
        case.due_on = None
        return
    cal = cal or Calendar.load()
    setting, working = RULES[rule]
    days = int(current_app.config[setting])
    try:
        case.due_on = cal.add_working_days(start, days) if working else cal.add_days(start, days)
    except CalendarUnknown as exc:
        # The earliest the deadline can be (holidays only ever push it later), shown as provisional and never
        # flagged as overdue or due soon until the year's holidays are entered.
        case.due_unknown_year = exc.year
        weekends_only = Calendar(set(range(start.year, start.year + days // 200 + 3)) | cal.years, cal.days)
        case.due_on = (weekends_only.add_working_days(start, days) if working
                       else weekends_only.add_days(start, days))


def due_status(case: Case, cal: Calendar | None = None, today: date | None = None) -> str | None:
    """"overdue", "due_soon" (within CASE_DUE_SOON_WORKING_DAYS working days), "unknown" (no holiday data),
    or None. Never raises: a today or deadline in an unknown year answers "unknown"."""
    if case.due_unknown_year is not None:
        return "unknown"
    if case.due_on is None or not case.is_open:
        return None
    today = today or today_shanghai()
    if today > case.due_on:
        return "overdue"
    cal = cal or Calendar.load()
    try:
        left = cal.working_days_between(today, case.due_on)
    except CalendarUnknown:
        return "unknown"
    return "due_soon" if left <= int(current_app.config["CASE_DUE_SOON_WORKING_DAYS"]) else None


# -- evidence ------------------------------------------------------------------------------------------------

MAX_FILES = 5

def save_files(case: Case, files, *, party: str, actor) -> list[CaseFile]:
    """Store evidence files of `party` (core.uploads rules) on the case; refuses more than MAX_FILES."""
    stored = []
    files = [f for f in (files or []) if getattr(f, "filename", "")]
    if len(files) > MAX_FILES:
        raise DomainError(_("一次最多上传 %(n)s 个文件。", n=MAX_FILES), field="evidence")
    for storage in files:
        name = save_upload(storage, kind="evidence", field="evidence")
        item = CaseFile(case=case, stored_name=name, original_name=(storage.filename or "file")[-200:],
                        added_by_party=party, uploaded_by_id=getattr(actor, "id", None))
        db.session.add(item)
        stored.append(item)
    return stored


# -- timeline and state changes ------------------------------------------------------------------------------

def record_event(case: Case, message: str, *, actor=None, params: dict | None = None, note: str | None = None,
                 audience: str = "complainant", from_state: CaseState | None = None,
                 to_state: CaseState | None = None) -> CaseEvent:
    """Append a timeline entry (message: an N_ msgid; note: a person's own words, shown as written)."""
    event = CaseEvent(case=case, at=now_utc(), actor_id=getattr(actor, "id", None), message=message,
                      params=params or {}, note=(note or "").strip() or None, audience=audience,
                      from_state=from_state.value if from_state else None,
                      to_state=to_state.value if to_state else None)
    db.session.add(event)
    return event


def complainant_link(case: Case) -> str:
    return f"/my/cases/{case.number}"


def tell_complainant(case: Case, subject: str, *, params: dict | None = None) -> None:
    """The complainant's inbox (an anonymous reporter follows the case at /report/track instead)."""
    if case.complainant is not None:
        notify([case.complainant], subject, params={"number": case.number, **(params or {})},
               link=complainant_link(case))


def counts_for_supplier(case: Case) -> bool:
    """Complaints and reports about a registered company count in its public figures (not monitor cases)."""
    return case.supplier_id is not None and CaseKind(case.kind) != CaseKind.monitor


def count_received(case: Case) -> None:
    if counts_for_supplier(case):
        complaint_figures.count(case.supplier_id, to_shanghai(case.received_at).date(), received=1)


def _keep_figures(case: Case, before: CaseState, to: CaseState, now, closed_at) -> None:
    """A case is resolved when it is closed (or merged into one that will be); reopening takes it back from the
    month it was counted in."""
    if not counts_for_supplier(case):
        return
    if to in (C.closed, C.merged):
        complaint_figures.count(case.supplier_id, to_shanghai(now).date(), resolved=1)
    elif before == C.closed and closed_at is not None:
        complaint_figures.count(case.supplier_id, to_shanghai(closed_at).date(), resolved=-1)


def transition(case: Case, to: CaseState, *, actor, message: str, reason: str | None = None,
               params: dict | None = None, audience: str = "complainant") -> None:
    """Move the case to `to` if ALLOWED permits it; raise InvalidTransition otherwise."""
    before = CaseState(case.state)
    to = CaseState(to)
    if not case.can_go(to):
        raise InvalidTransition(_("案件当前状态为“%(state)s”，不能变为“%(to)s”。",
                                  state=CASE_STATE_TITLES[before], to=CASE_STATE_TITLES[to]))
    now = now_utc()
    closed_at = case.closed_at
    case.state = to
    if to == C.accepted:
        case.accepted_at = now
    if to in (C.closed, C.rejected):
        case.closed_at = now  # the end of the case: the reopening period counts from it
    if to in (C.submitted, C.investigating) and before in (C.rejected, C.closed):  # reopened
        case.closed_at = None
        case.finding = None
        case.reopen_requested_at = None
        if to == C.submitted:
            case.received_at = now  # the acceptance deadline starts again
            case.reject_reason = None
    compute_due(case)
    case.flagged_overdue_on = case.flagged_due_soon_on = None
    record_event(case, message, actor=actor, params=params, note=reason, audience=audience,
                 from_state=before, to_state=to)
    audit.record(actor, f"case.{to.value}", case, {"state": (before.value, to.value)}, reason=reason,
                 extra={"number": case.number})
    if audience in ("all", "complainant"):
        tell_complainant(case, N_("案件 %(number)s：%(state)s"), params={"state": msgid_of(CASE_STATE_TITLES[to])})
    db.session.flush()
    _keep_figures(case, before, to, now, closed_at)
