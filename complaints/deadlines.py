"""`flask --app wsgi complaints deadlines`: flag overdue cases and cases due within CASE_DUE_SOON_WORKING_DAYS
working days, and tell the assigned officer (or every regulator when nobody is assigned).

Safe to run twice and from two machines at once: a case is told once per flag (flagged_overdue_on /
flagged_due_soon_on), each case row is claimed with an UPDATE that only succeeds while the flag is still empty,
so a second run in parallel tells nobody twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, select, update

from complaints.models import OPEN_STATES, Case
from complaints.queries import due_soon_limit, regulators
from complaints.services import compute_due, rule_title
from complaints.working_days import Calendar
from core import audit
from core.clock import today_shanghai
from core.db import db
from core.i18n import N_
from core.notifications import notify

OVERDUE = N_("案件 %(number)s 已超过办理期限（%(due)s）")
DUE_SOON = N_("案件 %(number)s 将于 %(due)s 到期")
UNKNOWN = N_("案件 %(number)s 的期限落在 %(year)s 年，该年节假日数据尚未录入")


@dataclass
class Summary:
    overdue: int = 0
    due_soon: int = 0
    told: int = 0
    unknown: int = 0


def _claim(case_id: int, column, today: date) -> bool:
    """Set the flag column if it is still empty; True when this run set it (and so must tell the officer)."""
    result = db.session.execute(update(Case).where(Case.id == case_id, column.is_(None))
                                .values({column.key: today})
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    case = db.session.get(Case, case_id)
    audit.record(None, f"case.{column.key}", case, {column.key: (None, today.isoformat())},
                 extra={"number": case.number})
    return True


def recompute_unknown(cal: Calendar | None = None) -> int:
    """Recompute the deadline of every open case waiting for holiday data (after an admin added a year)."""
    cal = cal or Calendar.load()
    cases = list(db.session.scalars(select(Case).where(Case.due_unknown_year.is_not(None),
                                                       Case.state.in_(sorted(OPEN_STATES)))))
    for case in cases:
        compute_due(case, cal)
    db.session.flush()
    return sum(1 for case in cases if case.due_unknown_year is None)


def flag_deadlines(today: date | None = None) -> Summary:
    today = today or today_shanghai()
    cal = Calendar.load()
    recompute_unknown(cal)
    summary = Summary()
    everyone = None
    open_cases = and_(Case.state.in_(sorted(OPEN_STATES)), Case.due_unknown_year.is_(None))
    waiting = Case.state.in_(sorted(OPEN_STATES))
    limit = due_soon_limit(today, cal)

    def officers(case: Case):
        nonlocal everyone
        if case.assigned_to is not None and case.assigned_to.active:
            return [case.assigned_to]
        everyone = everyone if everyone is not None else regulators()
        return everyone

    overdue = list(db.session.scalars(select(Case).where(open_cases, Case.due_on < today).order_by(Case.id)))
    for case in overdue:
        summary.overdue += 1
        if _claim(case.id, Case.flagged_overdue_on, today):
            notify(officers(case), OVERDUE, params={"number": case.number, "due": case.due_on.isoformat(),
                                                   "rule": rule_title(case.due_rule)},
                   link=f"/regulator/cases/{case.number}")
            summary.told += 1
    if limit is not None:
        soon = list(db.session.scalars(select(Case).where(open_cases, Case.due_on >= today, Case.due_on <= limit)
                                       .order_by(Case.id)))
        for case in soon:
            summary.due_soon += 1
            if _claim(case.id, Case.flagged_due_soon_on, today):
                notify(officers(case), DUE_SOON, params={"number": case.number, "due": case.due_on.isoformat()},
                       link=f"/regulator/cases/{case.number}")
                summary.told += 1
    unknown = list(db.session.scalars(select(Case).where(waiting, Case.due_unknown_year.is_not(None))
                                      .order_by(Case.id)))
    for case in unknown:
        summary.unknown += 1
        if _claim(case.id, Case.flagged_due_soon_on, today):
            notify(officers(case), UNKNOWN, params={"number": case.number, "year": case.due_unknown_year},
                   link=f"/regulator/cases/{case.number}")
            summary.told += 1
    db.session.flush()
    return summary
