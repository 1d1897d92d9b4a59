"""Reads of the complaints package: the regulator's queue, a party's view of a case, the people to tell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import and_, or_, select

from complaints.models import OPEN_STATES, Case, CaseCategory, CaseEvent, CaseFile, CaseState
from complaints.working_days import Calendar, CalendarUnknown
from core.accounts.models import RoleGrant, User
from core.clock import today_shanghai
from core.db import db
from core.i18n import translate_stored
from core.permissions import Role

#: Which timeline entries each party reads (regulators read everything).
AUDIENCES = {
    "complainant": ("all", "complainant"),
    "supplier": ("all", "supplier"),
    "regulator": ("all", "complainant", "supplier", "internal"),
}
#: Which evidence files each party may open: the supplier sees its own files and the regulator's, never the
#: complainant's (a photo or a receipt can identify a reporter).
FILE_PARTIES = {
    "complainant": ("complainant",),
    "supplier": ("supplier", "regulator"),
    "regulator": ("complainant", "supplier", "regulator"),
}


def regulators() -> list[User]:
    """Every active regulator account, by id."""
    return list(db.session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.regulator, User.active.is_(True)).distinct().order_by(User.id)))


def case_by_number(number: str) -> Case | None:
    return db.session.scalar(select(Case).where(Case.number == (number or "").strip().upper()))


def events_for(case: Case, party: str) -> list[CaseEvent]:
    """The timeline `party` reads. An exchange with the supplier is written twice (the full entry for the
    supplier, a bare one for the complainant); regulators read the full one only."""
    allowed = AUDIENCES[party]
    events = [event for event in case.events if event.audience in allowed]
    if party != "regulator":
        return events
    full = [e for e in events if e.audience == "supplier"]

    def twin(e: CaseEvent) -> bool:
        return e.audience == "complainant" and e.note is None and any(
            f.message == e.message and f.actor_id == e.actor_id and abs((f.at - e.at).total_seconds()) < 5
            for f in full)

    return [e for e in events if not twin(e)]


def event_text(event: CaseEvent) -> str:
    """A timeline entry in the reader's language."""
    return translate_stored(event.message, event.params)


def files_for(case: Case, party: str) -> list[CaseFile]:
    allowed = FILE_PARTIES[party]
    return [item for item in case.files if item.added_by_party in allowed]


def my_cases(user) -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.complainant_id == user.id)
                                   .order_by(Case.received_at.desc(), Case.id.desc())))


def supplier_cases(supplier_id: int) -> list[Case]:
    """The cases the supplier was invited to answer, newest first."""
    return list(db.session.scalars(select(Case).where(Case.supplier_id == supplier_id,
                                                      Case.supplier_invited_at.is_not(None))
                                   .order_by(Case.supplier_invited_at.desc(), Case.id.desc())))


@dataclass
class QueueFilter:
    state: str | None = None
    category: str | None = None
    district_id: int | None = None
    supplier_id: int | None = None
    kind: str | None = None
    flag: str | None = None  # "overdue" | "due_soon" | "unknown" | "reopen" | "mine"
    q: str | None = None


def due_soon_limit(today: date, cal: Calendar) -> date | None:
    """The last day that counts as "due soon" (CASE_DUE_SOON_WORKING_DAYS working days after today)."""
    try:
        return cal.add_working_days(today, int(current_app.config["CASE_DUE_SOON_WORKING_DAYS"]))
    except CalendarUnknown:
        return None


def queue_query(f: QueueFilter, *, viewer=None, today: date | None = None, cal: Calendar | None = None):
    """The regulator's queue as one SELECT (deadline flags are conditions on due_on, so they filter in SQL)."""
    today = today or today_shanghai()
    query = select(Case)
    if f.state:
        query = query.where(Case.state == CaseState(f.state))
    if f.category:
        query = query.where(Case.category == CaseCategory(f.category))
    if f.kind:
        query = query.where(Case.kind == f.kind)
    if f.district_id:
        query = query.where(Case.district_id == f.district_id)
    if f.supplier_id:
        query = query.where(Case.supplier_id == f.supplier_id)
    if f.q:
        needle = f"%{f.q.strip()}%"
        query = query.where(or_(Case.number.ilike(needle), Case.supplier_name.ilike(needle)))
    open_case = Case.state.in_(sorted(OPEN_STATES))
    known = Case.due_unknown_year.is_(None)
    if f.flag == "overdue":
        query = query.where(open_case, known, Case.due_on < today)
    elif f.flag == "due_soon":
        limit = due_soon_limit(today, cal or Calendar.load())
        query = query.where(open_case, known, Case.due_on >= today,
                            Case.due_on <= limit if limit else Case.id.is_(None))
    elif f.flag == "unknown":
        query = query.where(open_case, Case.due_unknown_year.is_not(None))
    elif f.flag == "reopen":
        query = query.where(Case.reopen_requested_at.is_not(None))
    elif f.flag == "mine" and viewer is not None:
        query = query.where(Case.assigned_to_id == viewer.id)
    # Open cases first, the nearest deadline first; closed ones after, newest first.
    return query.order_by(and_(open_case).desc(), Case.due_on.is_(None), Case.due_on, Case.received_at.desc(),
                          Case.id.desc())


def unknown_years() -> list[int]:
    """Years without holiday data in which an open case's deadline falls (the dashboard names them)."""
    rows = db.session.scalars(select(Case.due_unknown_year).where(
        Case.due_unknown_year.is_not(None), Case.state.in_(sorted(OPEN_STATES))).distinct())
    return sorted(rows)


def typical_cases() -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.typical_published_at.is_not(None))
                                   .order_by(Case.typical_published_at.desc())))
