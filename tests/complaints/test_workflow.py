"""The regulator's workflow over HTTP: queue, accept/reject, invite the supplier, its answer, close, merge,
reopen, typical cases, and who may see what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from complaints import workflow
from complaints.models import CaseState
from core.audit import AuditEntry
from core.clock import now_utc, today_shanghai
from core.db import db
from core.notifications import Notification
from core.permissions import Role
from tests.complaints.case_helpers import accepted, complaint, investigating, regulator, reload, report
from tests.conftest import login, make_user
from tests.orders.fulfil_helpers import make_world

C = CaseState


@pytest.fixture
def world(calendar):
    return make_world()


def inbox(user) -> list[str]:
    db.session.expire_all()
    return [n.subject_text for n in db.session.scalars(select(Notification).where(Notification.user_id == user.id))]


def test_the_whole_workflow_from_filing_to_a_substantiated_finding(client, world):
    officer = regulator(display_name="市场监管张科长")
    case = complaint(world)
    login(client, officer)
    queue = client.get("/regulator/cases")
    assert queue.status_code == 200 and case.number in queue.text
    assert client.get(f"/regulator/cases/{case.number}").status_code == 200
    assert client.post(f"/regulator/cases/{case.number}/accept", data={"reason": ""}).status_code == 302
    case = reload(case)
    assert case.state == C.accepted and case.assigned_to_id == officer.id and case.due_rule == "complaint_mediation"
    response = client.post(f"/regulator/cases/{case.number}/invite", data={"reason": "请说明加价 300 元的依据。"})
    assert response.status_code == 302
    case = reload(case)
    assert case.state == C.investigating and case.supplier_invited_at is not None
    assert any("说明情况" in s for s in inbox(world.staff))

    login(client, world.staff)
    listed = client.get("/supplier/cases")
    assert case.number in listed.text
    page = client.get(f"/supplier/cases/{case.number}")
    assert page.status_code == 200 and "请说明加价 300 元的依据。" in page.text
    for secret in (world.resident.display_name, case.description, "退还多收的钱"):
        assert secret not in page.text
    assert client.post(f"/supplier/cases/{case.number}", data={"text": "材料费是用户自愿购买的。"}).status_code == 302

    login(client, officer)
    assert "材料费是用户自愿购买的。" in client.get(f"/regulator/cases/{case.number}").text
    response = client.post(f"/regulator/cases/{case.number}/close",
                           data={"finding": "substantiated", "reason": "经查，收取清单外费用属实，责令退还。"})
    assert response.status_code == 302 and "/sanctions" in response.headers["Location"]
    case = reload(case)
    assert case.state == C.closed and case.finding == "substantiated" and case.closed_at is not None

    login(client, world.resident)
    mine = client.get(f"/my/cases/{case.number}")
    for text in ("已受理", "开始调查处理", "经查，收取清单外费用属实，责令退还。", "属实"):
        assert text in mine.text
    assert "请说明加价 300 元的依据。" not in mine.text  # the question to the supplier stays between them
    assert len([s for s in inbox(world.resident) if case.number in s]) >= 3
    actions = {e.action for e in db.session.scalars(select(AuditEntry))}
    assert {"case.filed.complaint", "case.accepted", "case.investigating", "case.supplier_invited",
            "case.supplier_answered", "case.closed"} <= actions


def test_a_rejection_needs_a_reason_that_the_complainant_reads(client, world):
    officer = regulator()
    case = complaint(world)
    login(client, officer)
    response = client.post(f"/regulator/cases/{case.number}/reject", data={"reason": "  "})
    assert response.status_code == 422 and reload(case).state == C.submitted
    client.post(f"/regulator/cases/{case.number}/reject", data={"reason": "不属于本部门管辖，请向消协反映。"})
    assert reload(case).state == C.rejected
    login(client, world.resident)
    assert "不属于本部门管辖，请向消协反映。" in client.get(f"/my/cases/{case.number}").text


def test_an_impossible_step_is_refused_with_a_message(client, world):
    officer = regulator()
    case = complaint(world)
    login(client, officer)
    response = client.post(f"/regulator/cases/{case.number}/close", data={"finding": "substantiated",
                                                                          "reason": "直接办结"})
    assert response.status_code == 422 and "请先受理案件" in response.text
    assert reload(case).state == C.submitted


def test_duplicates_about_the_same_supplier_are_merged_and_the_complainant_told(client, world):
    officer = regulator()
    first = accepted(complaint(world), officer)
    second = complaint(world)
    other, _code = report(world.other_supplier)
    login(client, officer)
    refused = client.post(f"/regulator/cases/{other.number}/merge", data={"target": first.number})
    assert refused.status_code == 422 and "同一单位" in refused.text
    assert client.post(f"/regulator/cases/{second.number}/merge",
                       data={"target": first.number, "reason": "同一事实"}).status_code == 302
    second = reload(second)
    assert second.state == C.merged and second.merged_into_id == first.id
    assert second.number in client.get(f"/regulator/cases/{first.number}").text
    assert any(second.number in s for s in inbox(world.resident))
    login(client, world.resident)
    assert first.number in client.get(f"/my/cases/{second.number}").text


def test_a_closed_case_may_be_reopened_within_30_days(client, world):
    officer = regulator()
    case = accepted(complaint(world), officer)
    workflow.close(case, actor=officer, finding="unsubstantiated", text="未发现违规。")
    db.session.commit()
    login(client, world.resident)
    assert "申请重新处理" in client.get(f"/my/cases/{case.number}").text
    assert client.post(f"/my/cases/{case.number}/reopen", data={"reason": "我有新的录音证据。"}).status_code == 302
    assert reload(case).reopen_requested_at is not None
    login(client, officer)
    assert "我有新的录音证据。" in client.get(f"/regulator/cases/{case.number}").text
    client.post(f"/regulator/cases/{case.number}/reopen",
                data={"decision": "grant", "reason": "收到新证据，重新调查。"})
    case = reload(case)
    assert case.state == C.investigating and case.finding is None and case.reopen_requested_at is None


def test_a_reopening_asked_after_30_days_is_refused(client, world):
    officer = regulator()
    case = accepted(complaint(world), officer)
    workflow.close(case, actor=officer, finding="unsubstantiated", text="未发现违规。")
    case.closed_at = now_utc() - timedelta(days=31)
    db.session.commit()
    login(client, world.resident)
    client.post(f"/my/cases/{case.number}/reopen", data={"reason": "我不服。"})
    assert reload(case).reopen_requested_at is None


def test_a_refused_reopening_keeps_the_case_closed(client, world):
    officer = regulator()
    case = accepted(complaint(world), officer)
    workflow.close(case, actor=officer, finding="unsubstantiated", text="未发现违规。")
    db.session.commit()
    login(client, world.resident)
    client.post(f"/my/cases/{case.number}/reopen", data={"reason": "我不服。"})
    login(client, officer)
    client.post(f"/regulator/cases/{case.number}/reopen", data={"decision": "refuse", "reason": "没有新的事实。"})
    case = reload(case)
    assert case.state == C.closed and case.reopen_requested_at is None
    login(client, world.resident)
    assert "没有新的事实。" in client.get(f"/my/cases/{case.number}").text


def test_a_typical_case_is_published_anonymised(client, world, app):
    officer = regulator()
    case = investigating(complaint(world), officer)
    workflow.close(case, actor=officer, finding="substantiated", text="属实。")
    db.session.commit()
    login(client, officer)
    with_phone = client.post(f"/regulator/cases/{case.number}/typical", data={
        "typical_title": "某公司强制收费案", "typical_summary": "居民（电话 13800138000）反映……"})
    assert with_phone.status_code == 422 and reload(case).typical_published_at is None
    with_name = client.post(f"/regulator/cases/{case.number}/typical", data={
        "typical_title": "某公司强制收费案", "typical_summary": f"{world.resident.display_name}反映安装时被加价。"})
    assert with_name.status_code == 422
    client.post(f"/regulator/cases/{case.number}/typical", data={
        "typical_title": "安装时强制加收材料费案",
        "typical_summary": "居民反映安装人员要求加价 300 元，经查属实，责令退还。"})
    public = app.test_client().get("/cases/typical")
    assert public.status_code == 200 and "安装时强制加收材料费案" in public.text
    for secret in (world.resident.display_name, case.description, "13800138000", "民族路"):
        assert secret not in public.text


def test_the_queue_filters(client, world):
    officer = regulator()
    mine = accepted(complaint(world), officer)
    theirs, _code = report(world.other_supplier)
    login(client, officer)
    by_supplier = client.get(f"/regulator/cases?supplier={world.other_supplier.id}").text
    assert theirs.number in by_supplier and mine.number not in by_supplier
    by_state = client.get("/regulator/cases?state=accepted").text
    assert mine.number in by_state and theirs.number not in by_state
    by_category = client.get("/regulator/cases?category=counterfeit").text
    assert theirs.number in by_category and mine.number not in by_category
    assert mine.number in client.get("/regulator/cases?flag=mine").text
    assert client.get("/regulator/cases?state=nonsense&district=abc").status_code == 200


def test_overdue_and_due_soon_filters_follow_the_deadline(client, world):
    officer = regulator()
    late = complaint(world)
    late.due_on = today_shanghai() - timedelta(days=3)
    soon = complaint(world)
    soon.due_on = today_shanghai()  # due today (Asia/Shanghai): due soon, not yet overdue
    db.session.commit()
    login(client, officer)
    overdue = client.get("/regulator/cases?flag=overdue").text
    assert late.number in overdue and soon.number not in overdue
    due_soon = client.get("/regulator/cases?flag=due_soon").text
    assert soon.number in due_soon and late.number not in due_soon


PAGES = ["/regulator/cases", "/regulator/cases/{n}"]
ACTIONS = ["accept", "reject", "note", "invite", "close", "merge", "reopen", "typical", "assign"]


@pytest.mark.parametrize("role", [None, Role.resident, Role.supplier, Role.district_official, Role.inspector,
                                  Role.admin])
def test_only_regulators_reach_the_regulator_pages(client, world, role):
    case = complaint(world)
    if role is not None:
        login(client, make_user(role, districts=("500103",) if role in (Role.district_official, Role.inspector)
                                else ()))
    for url in PAGES:
        assert client.get(url.format(n=case.number)).status_code in ((302, 401) if role is None else (403,))
    for action in ACTIONS:
        status = client.post(f"/regulator/cases/{case.number}/{action}", data={"reason": "x"}).status_code
        assert status in ((302, 401) if role is None else (403,))
    assert reload(case).state == C.submitted


def test_a_supplier_sees_only_cases_it_was_invited_to(client, world):
    officer = regulator()
    case = accepted(complaint(world), officer)
    login(client, world.staff)
    assert client.get(f"/supplier/cases/{case.number}").status_code == 404
    investigating(case, officer)
    assert client.get(f"/supplier/cases/{case.number}").status_code == 200
    login(client, world.other_staff)
    assert client.get(f"/supplier/cases/{case.number}").status_code == 404
    assert client.post(f"/supplier/cases/{case.number}", data={"text": "不是我们"}).status_code == 404


def test_the_supplier_never_sees_a_reporters_identity(client, world):
    officer = regulator()
    case, _code = report(world.supplier, name="举报人李四", phone="13911112222")
    investigating(case, officer)
    login(client, world.staff)
    page = client.get(f"/supplier/cases/{case.number}").text
    assert "李四" not in page and "13911112222" not in page and "1391" not in page
    login(client, officer)
    assert "13911112222" in client.get(f"/regulator/cases/{case.number}").text
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "personal_data.viewed")) is not None


def test_a_missing_case_is_404(client, world):
    login(client, regulator())
    assert client.get("/regulator/cases/TS-2026-999999").status_code == 404
    assert client.post("/regulator/cases/TS-2026-999999/accept").status_code == 404


def test_the_suppliers_public_page_shows_its_complaint_figures(client, world, app):
    officer = regulator()
    first = accepted(complaint(world), officer)
    complaint(world)
    report(world.supplier)
    workflow.close(first, actor=officer, finding="substantiated", text="属实。")
    db.session.commit()
    page = app.test_client().get(f"/suppliers/{world.supplier.id}")
    assert page.status_code == 200
    assert 'data-received>3<' in page.text and 'data-resolved>1<' in page.text and "33%" in page.text
    for secret in (world.resident.display_name, first.description):
        assert secret not in page.text
    # Reopening takes the resolution back.
    first.reopen_requested_at = now_utc()
    workflow.decide_reopen(first, actor=officer, grant=True, reason="新证据")
    db.session.commit()
    assert 'data-resolved>0<' in app.test_client().get(f"/suppliers/{world.supplier.id}").text


def test_the_export_carries_no_personal_data(client, world):
    officer = regulator()
    case, _code = report(world.supplier, name="举报人李四", phone="13911112222")
    filed = complaint(world)
    login(client, officer)
    response = client.get("/regulator/cases.csv?category=counterfeit")
    assert response.status_code == 200 and response.data.startswith("\ufeff".encode())
    text = response.data.decode("utf-8-sig")
    assert case.number in text and filed.number not in text
    for secret in ("李四", "13911112222", world.resident.display_name, case.description):
        assert secret not in text
    login(client, world.staff)
    assert client.get("/regulator/cases.csv").status_code == 403
