"""Deadlines of real cases: computed in working days across holidays, flagged by `complaints deadlines` once,
and a year without holiday data named on the regulator's dashboard (never a 500, never a silent wrong date)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, select

from complaints.deadlines import flag_deadlines
from complaints.models import CalendarDay, CalendarYear, Case
from complaints.services import compute_due
from core.db import db
from core.notifications import Notification
from core.permissions import Role
from tests.complaints.case_helpers import accepted, complaint, regulator, reload, report
from tests.conftest import login, make_user
from tests.orders.fulfil_helpers import make_world


@pytest.fixture
def world(calendar):
    return make_world()


def shanghai_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)  # 12:00 in Asia/Shanghai


def due_for(case: Case, received: date) -> date:
    case.received_at = shanghai_noon(received)
    compute_due(case)
    return case.due_on


def test_acceptance_deadline_skips_the_2026_spring_festival(world):
    case = complaint(world)
    # Received Fri 13 Feb 2026: Sat 14 Feb is an adjusted working day, 15–23 Feb are holidays, Sat 28 Feb works.
    assert due_for(case, date(2026, 2, 13)) == date(2026, 3, 2)


def test_report_check_deadline_across_national_day_and_the_working_saturday(world):
    case, _code = report(world.supplier)
    # Received Tue 29 Sep 2026: 30 Sep works, 1–7 Oct are holidays, Sat 10 Oct is a working day:
    # 30 Sep, 8, 9, 10, 12–16, 19–23 Oct, 26 Oct is the 15th working day.
    assert due_for(case, date(2026, 9, 29)) == date(2026, 10, 26)


def test_mediation_deadline_in_calendar_days_moves_off_a_holiday(world):
    officer = regulator()
    case = accepted(complaint(world), officer)
    case.accepted_at = shanghai_noon(date(2026, 8, 2))  # + 60 days = 1 Oct (National Day) → 8 Oct
    compute_due(case)
    assert case.due_on == date(2026, 10, 8)


def test_a_deadline_across_the_year_end_into_a_year_without_data_is_unknown(world, client):
    case = complaint(world)
    # The earliest it can be (weekends only: 29–31 Dec, 1, 4, 5, 6 Jan), shown as provisional, never flagged.
    assert due_for(case, date(2026, 12, 28)) == date(2027, 1, 6)
    assert case.due_unknown_year == 2027
    db.session.commit()
    login(client, regulator())
    page = client.get("/regulator/cases")
    assert page.status_code == 200 and "data-unknown-years" in page.text and "2027" in page.text
    detail = client.get(f"/regulator/cases/{case.number}")
    assert detail.status_code == 200 and "2027 年的法定节假日和调休安排尚未录入" in detail.text
    assert "不早于" in detail.text
    assert flag_deadlines(today=date(2027, 2, 1)).overdue == 0  # not called overdue on a provisional date


def test_a_deadline_across_a_month_end(world):
    case = complaint(world)
    # Received Thu 26 Nov 2026: 7 working days → Mon 7 Dec.
    assert due_for(case, date(2026, 11, 26)) == date(2026, 12, 7)


def test_the_deadlines_command_tells_the_assigned_officer_once(world, app):
    officer = regulator()
    other = regulator()
    late = accepted(complaint(world), officer)
    late.due_on, late.due_unknown_year = date(2026, 11, 1), None
    soon = complaint(world)
    soon.due_on, soon.due_unknown_year = date(2026, 12, 4), None
    db.session.commit()
    summary = flag_deadlines(today=date(2026, 12, 3))
    db.session.commit()
    assert (summary.overdue, summary.due_soon) == (1, 1)
    subjects = [n.subject_text for n in
                db.session.scalars(select(Notification).where(Notification.user_id == officer.id))]
    assert any(late.number in s and "超过办理期限" in s for s in subjects)
    # Nobody is assigned to the other case: every regulator hears of it.
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == other.id, Notification.subject.like("%将于%"))) == 1
    before = db.session.scalar(select(func.count()).select_from(Notification))
    again = flag_deadlines(today=date(2026, 12, 3))
    db.session.commit()
    assert again.told == 0 and db.session.scalar(select(func.count()).select_from(Notification)) == before


def test_the_deadlines_command_runs_from_the_cli(world, app):
    complaint(world)
    result = app.test_cli_runner().invoke(args=["complaints", "deadlines"])
    assert result.exit_code == 0 and "overdue:" in result.output


def test_an_admin_adds_2027_and_waiting_deadlines_are_computed(world, client):
    case = complaint(world)
    due_for(case, date(2026, 12, 28))
    db.session.commit()
    login(client, make_user(Role.admin))
    bad = client.post("/admin/calendar", data={"year": "2027", "holidays": "2027-13-01 元旦", "workdays": ""})
    assert bad.status_code == 200 and "无法识别" in bad.text
    assert db.session.get(CalendarYear, 2027) is None
    response = client.post("/admin/calendar", data={
        "year": "2027", "holidays": "2027-01-01..2027-01-03 元旦\n2027-02-06..2027-02-13 春节",
        "workdays": "2027-02-14 春节调休", "source": "国办发明电〔2026〕"})
    assert response.status_code == 302
    assert db.session.get(CalendarDay, date(2027, 2, 14)).is_working
    case = reload(case)
    # 28 Dec 2026 + 7 working days: 29, 30, 31 Dec, (1–3 Jan holiday) 4, 5, 6, 7 Jan.
    assert case.due_unknown_year is None and case.due_on == date(2027, 1, 7)
    assert client.post("/admin/calendar", data={"year": "2027", "holidays": "2027-01-01 元旦"}).status_code == 200


@pytest.mark.parametrize("role", [Role.regulator, Role.resident, Role.supplier])
def test_only_admins_edit_the_holiday_table(world, client, role):
    login(client, make_user(role))
    assert client.get("/admin/calendar").status_code == 403
    assert client.post("/admin/calendar", data={"year": "2027", "holidays": "2027-01-01 元旦"}).status_code == 403


def test_without_any_holiday_table_the_deadline_is_unknown_not_guessed(world):
    db.session.execute(delete(CalendarDay))
    db.session.execute(delete(CalendarYear))
    db.session.commit()
    case = complaint(world)
    assert case.due_unknown_year == case.received_at.year and case.due_on is not None
