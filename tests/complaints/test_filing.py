"""Filing: a resident's complaint, anyone's report with its tracking code and spam guard, following a case."""

from __future__ import annotations

import io
import re
import time

import pytest
from sqlalchemy import func, select, text

from complaints.forms import SpamGuard
from complaints.models import Case, CaseFile, CaseState
from core.accounts.models import User
from core.audit import AuditEntry
from core.db import db
from core.extensions import limiter
from core.notifications import Notification
from core.permissions import Role
from orders.models import OrderState
from tests.complaints.case_helpers import DESCRIPTION, PNG, complaint, regulator, reload, report
from tests.conftest import login, make_user
from tests.orders.fulfil_helpers import make_order, make_world

NUMBER = re.compile(r"^(TS|JB|JC)-\d{4}-\d{6}$")


def cases() -> list[Case]:
    db.session.expire_all()
    return list(db.session.scalars(select(Case).order_by(Case.id)))


def complaint_form(world, **changes) -> dict:
    data = {"supplier": str(world.supplier.id), "order": "", "product": "", "category": "forced_purchase",
            "description": DESCRIPTION, "resolution_wanted": "退还多收的 300 元"}
    data.update(changes)
    return data


def report_form(supplier=None, **changes) -> dict:
    data = {"supplier": str(supplier.id) if supplier else "", "supplier_name": "" if supplier else "山城燃气设备店",
            "district": "", "category": "counterfeit",
            "description": "该店销售的报警器没有认证标志，疑似假冒，价格也比清单高。",
            "reporter_name": "", "reporter_phone": "", "reporter_email": "", "website": "",
            "started": SpamGuard.new_stamp(time.time() - 30)}
    data.update(changes)
    return data


@pytest.fixture
def world(calendar):
    return make_world()


class TestComplaint:
    def test_a_resident_files_a_complaint_about_their_order_with_evidence(self, client, world):
        officer = regulator()
        order = make_order(world, OrderState.installed)
        login(client, world.resident)
        page = client.get(f"/complaints/new?order={order.id}")
        assert page.status_code == 200 and order.number in page.text
        response = client.post("/complaints/new", data={
            **complaint_form(world, order=str(order.id), product=str(world.product.id)),
            "evidence": [(io.BytesIO(PNG), "收据.png")]}, content_type="multipart/form-data")
        assert response.status_code == 302
        [case] = cases()
        assert NUMBER.match(case.number) and case.number.startswith("TS-")
        assert response.headers["Location"].endswith(f"/my/cases/{case.number}")
        assert (case.state, case.complainant_id, case.order_id, case.product_id) == (
            CaseState.submitted, world.resident.id, order.id, world.product.id)
        assert case.district.code == "500103"
        assert case.due_rule == "complaint_acceptance" and case.due_on is not None
        assert [f.original_name for f in case.files] == ["收据.png"]
        assert db.session.scalar(select(func.count()).select_from(Notification)
                                 .where(Notification.user_id == officer.id)) == 1
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "case.filed.complaint")) is not None
        mine = client.get(f"/my/cases/{case.number}")
        assert mine.status_code == 200 and "收据.png" in mine.text and mine.headers["Cache-Control"] == "no-store"
        assert case.number in client.get("/my/cases").text

    @pytest.mark.parametrize("changes, message", [
        ({"description": "太贵了"}, "10 到 5000 个字"),
        ({"supplier": ""}, "请选择被投诉的单位"),
        ({"category": "bribery"}, "is-invalid"),
        ({"description": "\x00" * 20}, "控制字符"),
    ])
    def test_bad_input_is_refused_and_changes_nothing(self, client, world, changes, message):
        login(client, world.resident)
        response = client.post("/complaints/new", data=complaint_form(world, **changes))
        assert response.status_code == 200
        assert message in response.text
        assert cases() == []

    def test_another_residents_order_cannot_be_named(self, client, world):
        stranger = make_user(Role.resident)
        order = make_order(world, OrderState.paid, resident=stranger)
        login(client, world.resident)
        response = client.post("/complaints/new", data=complaint_form(world, order=str(order.id)))
        assert response.status_code == 200 and cases() == []

    def test_a_php_file_named_pdf_is_refused_and_nothing_is_stored(self, client, world, app):
        login(client, world.resident)
        response = client.post("/complaints/new", data={
            **complaint_form(world), "evidence": [(io.BytesIO(b"<?php system($_GET['c']); ?>"), "invoice.pdf")]},
            content_type="multipart/form-data")
        assert response.status_code == 200 and "PDF、PNG 或 JPEG" in response.text
        assert cases() == [] and db.session.scalar(select(func.count()).select_from(CaseFile)) == 0

    @pytest.mark.parametrize("role", [Role.supplier, Role.regulator, Role.district_official])
    def test_only_residents_file_complaints(self, client, world, role):
        login(client, make_user(role, districts=("500103",) if role == Role.district_official else ()))
        assert client.get("/complaints/new").status_code == 403
        assert client.post("/complaints/new", data=complaint_form(world)).status_code == 403
        assert cases() == []

    def test_anonymous_visitors_are_sent_to_log_in(self, client, world):
        assert client.get("/complaints/new").status_code in (302, 401)
        assert client.get("/my/cases").status_code in (302, 401)

    def test_a_resident_sees_only_their_own_cases(self, client, world):
        case = complaint(world)
        login(client, make_user(Role.resident))
        assert client.get(f"/my/cases/{case.number}").status_code == 404
        assert case.number not in client.get("/my/cases").text


class TestReport:
    def test_anyone_reports_a_seller_not_on_the_platform_and_gets_a_tracking_code_once(self, client, world):
        response = client.post("/report", data=report_form(reporter_phone="13900001111", reporter_name="赵六"))
        assert response.status_code == 200
        [case] = cases()
        assert case.number.startswith("JB-") and case.supplier_id is None and case.supplier_name == "山城燃气设备店"
        code = re.search(r"data-tracking-code>([A-Z0-9-]+)<", response.text).group(1)
        assert re.fullmatch(r"[A-Z2-9]{4}(-[A-Z2-9]{4}){3}", code)
        assert response.headers["Cache-Control"] == "no-store"
        assert code.replace("-", "") not in (case.tracking_code_hash or "")
        raw = db.session.execute(text("SELECT reporter_phone FROM complaint_case")).scalar()
        assert "13900001111" not in raw  # encrypted at rest
        # The code is shown once: the tracking page does not repeat it.
        assert code not in client.get(f"/report/track/{case.number}").text

    def test_the_tracking_code_opens_the_case_in_another_browser(self, app, world):
        first = app.test_client()
        response = first.post("/report", data=report_form(world.supplier))
        code = re.search(r"data-tracking-code>([A-Z0-9-]+)<", response.text).group(1)
        [case] = cases()
        other = app.test_client()
        assert other.get(f"/report/track/{case.number}").status_code == 404
        wrong = other.post("/report/track", data={"number": case.number, "code": "AAAA-BBBB-CCCC-DDDD"})
        assert wrong.status_code == 200 and "不正确" in wrong.text
        assert other.get(f"/report/track/{case.number}").status_code == 404
        typed = code.lower().replace("-", " ")
        right = other.post("/report/track", data={"number": case.number.lower(), "code": typed})
        assert right.status_code == 302
        page = other.get(f"/report/track/{case.number}")
        assert page.status_code == 200 and "已收到" in page.text
        added = other.post(f"/report/track/{case.number}", data={"text": "补充：发票抬头是另一家公司。"})
        assert added.status_code == 302
        assert any(e.note == "补充：发票抬头是另一家公司。" for e in reload(case).events)

    @pytest.mark.parametrize("changes", [
        {"website": "http://spam.example"},
        {"started": ""},
        {"started": "forged.stamp"},
    ])
    def test_the_spam_guard_refuses_bots_without_javascript(self, client, world, changes):
        response = client.post("/report", data=report_form(**changes))
        assert response.status_code == 200 and "提交未成功" in response.text
        assert cases() == []

    def test_a_form_posted_faster_than_a_person_types_is_refused(self, client, world, app, monkeypatch):
        monkeypatch.setitem(app.config, "REPORT_MIN_FILL_SECONDS", 3)
        response = client.post("/report", data=report_form(started=SpamGuard.new_stamp(time.time())))
        assert "提交未成功" in response.text and cases() == []
        assert client.post("/report", data=report_form()).status_code == 200
        assert len(cases()) == 1

    def test_the_form_is_rate_limited_per_address(self, client, world, app, monkeypatch):
        monkeypatch.setitem(app.config, "REPORT_RATE_LIMIT", "2 per hour")
        limiter.reset()
        try:
            assert [client.post("/report", data=report_form()).status_code for _ in range(3)] == [200, 200, 429]
            assert len(cases()) == 2
        finally:
            limiter.reset()

    def test_a_report_needs_a_supplier_or_a_name(self, client, world):
        response = client.post("/report", data=report_form(supplier_name=""))
        assert "请选择或填写被举报的单位名称" in response.text and cases() == []

    def test_a_logged_in_reporter_follows_the_case_in_their_account(self, client, world):
        login(client, world.resident)
        response = client.post("/report", data=report_form(world.supplier))
        [case] = cases()
        assert response.status_code == 302 and case.complainant_id == world.resident.id
        assert case.tracking_code_hash is None

    def test_numbers_are_never_reused_and_count_per_kind(self, world):
        first, _code = report(world.supplier)
        second = complaint(world)
        third, _code = report(world.supplier)
        numbers = [first.number, second.number, third.number]
        assert [n[:2] for n in numbers] == ["JB", "TS", "JB"]
        assert int(third.number[-6:]) == int(first.number[-6:]) + 1
        db.session.delete(third)
        db.session.commit()
        fourth, _code = report(world.supplier)
        assert fourth.number not in numbers


class TestFollowing:
    def test_information_is_added_only_while_the_case_is_open(self, client, world):
        case = complaint(world)
        login(client, world.resident)
        assert client.post(f"/my/cases/{case.number}", data={"text": "补充：师傅的电话号码截图。"}).status_code == 302
        case = reload(case)
        case.state, case.finding, case.closed_at, case.accepted_at = "closed", "unsubstantiated", case.received_at, \
            case.received_at
        db.session.commit()
        response = client.post(f"/my/cases/{case.number}", data={"text": "再补充一点"})
        assert "不能再补充材料" in response.text
        assert sum(1 for e in reload(case).events if e.message == "补充了材料") == 1

    def test_evidence_is_served_to_the_complainant_and_the_regulator_only(self, client, world, app):
        from tests.complaints.case_helpers import png

        case = complaint(world, files=[png()])
        [item] = case.files
        url = f"/cases/{case.number}/files/{item.id}"
        login(client, world.resident)
        with client.get(url) as response:
            assert response.status_code == 200
        login(client, regulator())
        with client.get(url) as response:
            assert response.data.startswith(b"\x89PNG")
        login(client, world.staff)
        assert client.get(url).status_code == 404
        login(client, make_user(Role.resident))
        assert client.get(url).status_code == 404
        anonymous = app.test_client()
        assert anonymous.get(url).status_code == 404

    def test_regulators_are_users_with_the_role(self, world):
        from complaints.queries import regulators

        officer = regulator()
        retired = regulator(active=False)
        assert officer in regulators() and retired not in regulators()
        assert all(isinstance(u, User) for u in regulators())
