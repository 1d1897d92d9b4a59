import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from catalog import signals as catalog_signals
from catalog.models import ProductStatus
from core.audit import AuditEntry
from core.db import db
from core.errors import NotAllowed
from core.notifications import Notification
from registry import signals
from registry.districts.subsidy import applicable_policy
from registry.lists import queries
from registry.lists.models import Announcement, AnnouncementKind, Application, ApplicationStatus
from registry.solicitations import services as solicitation_services
from suppliers.models import SupplierStatus
from tests.conftest import district, login
from tests.registry.factories import make_full_supplier, make_official, make_supplier
from tests.registry.helpers import open_call, published_list
from tests.suppliers.factories import make_staff


def subsidy_for(district_id, category, device_type, price_fen, on):
    policy = applicable_policy(district_id, category, device_type, on)
    return policy.amount_for(price_fen) if policy else 0


def test_invalidated_product_leaves_list_with_notification_and_new_version():
    official, suppliers, v1 = published_list(n=4)
    product = suppliers[0][1][1]
    received = []

    def on_change(_sender, product_ids=None, **_kw):
        received.append(product_ids)

    signals.listing_changed.connect(on_change)
    try:
        product.status = ProductStatus.invalid
        catalog_signals.product_invalidated.send(product, reason="证书已撤销")
        db.session.commit()
    finally:
        signals.listing_changed.disconnect(on_change)
    v2 = queries.current_version(district("500103"))
    assert v2.number == 2 and v2.published_by_id is None
    assert product.id not in {p["id"] for s in v2.suppliers for p in s["products"]}
    assert product.id in {p["id"] for s in v1.suppliers for p in s["products"]}  # v1 unchanged
    assert queries.listed_product_districts([product.id]) == {}
    assert received and product.id in received[0]
    notes = db.session.scalars(select(Notification).where(Notification.user_id == official.id)).all()
    assert any(product.model in n.subject_text for n in notes)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "list.version_published",
                                                      AuditEntry.actor_id.is_(None)))
    # the supplier lost its mid tier: the list falls below section 4 and says so
    assert [p["rule"] for p in v2.problems] == ["list.tiers"]
    kinds = {a.kind for a in db.session.scalars(select(Announcement))}
    assert {AnnouncementKind.product_removed, AnnouncementKind.list_below_minimum} <= kinds


def test_official_runs_call_to_published_list_in_browser(client):
    official = make_official()
    login(client, official)
    response = client.post("/official/districts/500103/solicitations", data={
        "title": "2026年渝中区燃气安全装置征集", "requirements": "具备燃气安装资质",
        "device_types": ["self_closing_valve"],
        "deadline": (date.today() + timedelta(days=10)).isoformat(), "weight_qualification": 40,
        "weight_quality": 30, "weight_after_sales": 20, "weight_price": 10})
    assert response.status_code == 302
    call = queries.solicitations_query(district=district("500103"))
    call = db.session.scalars(call).first()
    for _i in range(3):
        supplier, products = make_full_supplier()
        staff = make_staff(supplier)
        login(client, staff)
        assert client.get(f"/solicitations/{call.id}/apply").status_code == 200
        data = {}
        for i, p in enumerate(products):
            data.update({f"items-{i}-product_id": p.id, f"items-{i}-offered": "y", f"items-{i}-price": "199.00",
                         f"items-{i}-install_fee": "50"})
        assert client.post(f"/solicitations/{call.id}/apply", data=data).status_code == 302
        application = db.session.scalar(select(Application).where(Application.supplier_id == supplier.id))
        login(client, official)
        response = client.post(f"/official/applications/{application.id}", data={
            "score_qualification": 90, "score_quality": 85, "score_after_sales": 80, "score_price": 70,
            "comment": "良好", "decision": "accept", "reason": "资质齐全"})
        assert response.status_code == 302
        db.session.expire_all()
        assert application.status == ApplicationStatus.accepted and application.weighted_total == 84.5
        login(client, staff)
        assert "资质齐全" in client.get("/applications").get_data(as_text=True)
    login(client, official)
    confirm = client.post("/official/districts/500103/list", data={"exception_reason": "", "seen_number": "0"})
    assert confirm.status_code == 200 and queries.current_version(district("500103")) is None
    digest = re.search(r'name="confirm" value="([0-9a-f]+)"', confirm.get_data(as_text=True)).group(1)
    response = client.post("/official/districts/500103/list",
                           data={"exception_reason": "", "seen_number": "0", "confirm": digest})
    assert response.status_code == 302
    assert queries.current_version(district("500103")).number == 1


def test_publish_page_shows_all_problems(client):
    official = make_official()
    login(client, official)
    page = client.post("/official/districts/500103/list", data={"exception_reason": ""}).get_data(as_text=True)
    assert "原则上不少于 3 家" in page and "list.min_suppliers" not in page


def test_blacklisted_supplier_cannot_apply(client):
    official = make_official()
    call = open_call(official)
    supplier = make_supplier(status=SupplierStatus.blacklisted)
    login(client, make_staff(supplier))
    page = client.get(f"/solicitations/{call.id}/apply").get_data(as_text=True)
    assert "黑名单" in page
    with pytest.raises(NotAllowed):
        solicitation_services.apply(call, supplier, actor=supplier.staff[0], items=[(1, 100, 0)])


def test_public_supplier_page_hides_staff(client):
    _o, suppliers, _v = published_list()
    staff = make_staff(suppliers[0][0])
    page = client.get(f"/suppliers/{suppliers[0][0].id}").get_data(as_text=True)
    assert suppliers[0][0].legal_name in page and staff.email not in page


def test_official_adds_township_and_subsidy(client):
    official = make_official()
    login(client, official)
    assert client.post("/official/districts/500103/townships",
                       data={"name": "解放碑街道", "kind": "street"}).status_code == 302
    again = client.post("/official/districts/500103/townships", data={"name": "解放碑街道", "kind": "street"})
    assert again.status_code == 200 and "同名" in again.get_data(as_text=True)
    response = client.post("/official/districts/500103/subsidies", data={
        "category": "old_community", "device_type": "self_closing_valve", "kind": "percentage", "percent": 50,
        "cap": "100", "valid_from": "2026-01-01"})
    assert response.status_code == 302
    did = district("500103").id
    assert subsidy_for(did, "old_community", "self_closing_valve", 15000, date(2026, 6, 1)) == 7500
    assert subsidy_for(did, "old_community", "self_closing_valve", 30000, date(2026, 6, 1)) == 10000
    assert subsidy_for(did, "other", "self_closing_valve", 30000, date(2026, 6, 1)) == 0
    assert subsidy_for(did, "old_community", "self_closing_valve", 30000, date(2025, 6, 1)) == 0


def test_only_officials_of_districts_listing_an_invalidated_product_are_told():
    from catalog import services as catalog_services
    from catalog.models import CertificateStatus
    from core.permissions import Role
    from tests.conftest import make_user

    official, suppliers, _v1 = published_list(n=3)
    supplier, products = suppliers[0]
    supplier.districts = [district("500103"), district("500105")]  # serves 江北区, which does not list it
    db.session.commit()
    elsewhere = make_official("500105")
    product = products[1]
    cert = product.certificates[0]
    catalog_services.set_certificate_status(cert, CertificateStatus.suspended, actor=make_user(Role.regulator),
                                            reason="国家认监委公告暂停")
    db.session.commit()
    assert product.status == ProductStatus.invalid
    told = db.session.scalars(select(Notification).where(Notification.user_id == official.id)).all()
    assert any(product.model in n.subject_text for n in told)
    assert db.session.scalars(select(Notification).where(Notification.user_id == elsewhere.id)).all() == []


def _has_cjk(text: str) -> bool:
    import re
    return bool(re.search(r"[\u4e00-\u9fff]", text))


def test_system_reasons_are_shown_in_the_readers_language(app, client):
    """The invalidation reason (validator rules, certificate status change) and version/audit reasons."""
    from flask_babel import refresh

    from catalog import services as catalog_services
    from catalog.models import CertificateStatus
    from core.permissions import Role
    from tests.conftest import make_user

    official, suppliers, _v1 = published_list(n=3)
    product = suppliers[0][1][1]
    regulator = make_user(Role.regulator)
    catalog_services.set_certificate_status(product.certificates[0], CertificateStatus.suspended, actor=regulator,
                                            reason="Notice 12")
    db.session.commit()
    announcement = db.session.scalars(select(Announcement).where(
        Announcement.kind == AnnouncementKind.product_removed)).one()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action.in_(
        ["product.invalidated", "list.version_published"]))).all()
    with app.test_request_context("/?lang=en"):
        refresh()
        body = announcement.body_text
        assert "no longer valid" in body and not _has_cjk(body.split("(", 1)[1].split(")")[0]), body
        assert "suspended" in body.lower()
        from core.i18n import render_stored
        for entry in entries:
            assert entry.reason and not _has_cjk(render_stored(entry.reason)), entry.reason
    with app.test_request_context("/?lang=zh_CN"):
        refresh()
        assert "状态变为" in announcement.body_text
    login(client, regulator)
    page = client.get("/audit?lang=en").get_data(as_text=True)
    assert "Published by the district economy and IT office" in page and "区县经济信息部门发布" not in page
    versions = client.get("/districts/500103/versions?lang=en").get_data(as_text=True)
    assert "状态变为" not in versions and "报警装置" not in versions


def test_old_stored_reasons_stay_readable(app):
    from flask_babel import refresh

    from core.i18n import render_stored

    with app.test_request_context("/?lang=en"):
        refresh()
        assert render_stored("区县经济信息部门发布") == "Published by the district economy and IT office"
        assert render_stored("证书已撤销（旧记录）") == "证书已撤销（旧记录）"
        assert render_stored("i18n:{broken") == "i18n:{broken"
