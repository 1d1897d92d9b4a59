"""Supplier profile: credit code check, staff-only editing, colleagues, verification, permission matrix."""

import io
from datetime import timedelta

import pytest

from core.audit import AuditEntry
from core.clock import today_shanghai
from core.errors import DomainError, NotAllowed
from core.notifications import Notification
from core.permissions import Role
from suppliers import credit_code, services
from suppliers.models import Supplier, SupplierStatus
from tests.catalog.factories import PDF, code_for, make_company, make_product
from tests.conftest import district, login, make_user
from tests.suppliers.factories import make_staff


def _profile(supplier, **overrides):
    data = {"legal_name": supplier.legal_name, "credit_code": supplier.credit_code,
            "qualification_name": "消防设施工程专业承包", "qualification_level": "二级", "contact_person": "王工",
            "phone": "023-6371 2201", "address": "重庆市渝中区民族路 1 号", "service_content": "上门安装",
            "districts": [str(district("500103").id), str(district("500105").id)]}
    data.update(overrides)
    return data


@pytest.mark.parametrize("code", ["91330100716105852F", "914403001922038216"])
def test_spec_codes_pass(code):
    assert credit_code.is_valid(code)


def test_wrong_check_digit_is_a_field_error(client):
    supplier = make_company(status=SupplierStatus.registered)
    login(client, make_staff(supplier))
    response = client.post("/supplier/profile", data=_profile(supplier, credit_code="91330100716105852A"))
    assert response.status_code == 200
    assert "校验位不正确" in response.get_data(as_text=True)
    assert supplier.credit_code != "91330100716105852A"


def test_staff_update_profile_with_licence_is_audited(client, db):
    supplier = make_company(status=SupplierStatus.registered, districts=())
    login(client, make_staff(supplier))
    data = _profile(supplier, credit_code="91330100716105852F", licence=(io.BytesIO(PDF), "执照.pdf"))
    response = client.post("/supplier/profile", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert supplier.credit_code == "91330100716105852F"
    assert sorted(d.code for d in supplier.districts) == ["500103", "500105"]
    assert supplier.licence_file and supplier.licence_file.endswith(".pdf")
    assert AuditEntry.query.filter_by(action="supplier.profile_updated").count() == 1
    licence = client.get(f"/files/suppliers/{supplier.id}/licence")
    assert licence.status_code == 200 and licence.headers["X-Content-Type-Options"] == "nosniff"
    licence.close()


def test_admin_override_accepts_an_early_code(db):
    supplier = make_company(status=SupplierStatus.registered)
    staff, admin = make_staff(supplier), make_user(Role.admin)
    early = "91330100716105852A"
    services.override_credit_code(supplier, actor=admin, credit_code=early, reason="1990 年代核发的早期代码")
    assert supplier.credit_code == early and supplier.credit_code_override
    services.update_profile(supplier, actor=staff, legal_name=supplier.legal_name, credit_code=early,
                            qualification_name="x", qualification_level="二级", contact_person="王",
                            phone="023-1234 5678", address="地址", service_content="服务", district_ids=[])
    assert supplier.credit_code == early


def test_override_refused_for_staff(db):
    supplier = make_company()
    with pytest.raises(NotAllowed):
        services.override_credit_code(supplier, actor=make_staff(supplier), credit_code=code_for(999), reason="x")


def test_staff_add_colleague_to_own_company(client, db):
    supplier = make_company()
    login(client, make_staff(supplier))
    response = client.post("/supplier/staff", data={"display_name": "李同事", "email": "colleague@example.test",
                                                    "password": "temporary-pass-1"})
    assert response.status_code == 302
    db.session.expire_all()
    colleague = next(u for u in supplier.staff if u.email == "colleague@example.test")
    assert supplier.has_staff(colleague) and colleague.has_role(Role.supplier)
    assert Notification.query.filter_by(user_id=colleague.id).count() == 1


def test_official_of_served_district_verifies_and_staff_are_told(client, db):
    supplier = make_company(status=SupplierStatus.registered, districts=("500105",))
    staff = make_staff(supplier)
    login(client, make_user(Role.district_official, districts=("500103",)))
    assert client.post(f"/regulator/suppliers/{supplier.id}/verify").status_code == 403
    login(client, make_user(Role.district_official, districts=("500105",)))
    assert client.post(f"/regulator/suppliers/{supplier.id}/verify").status_code == 302
    db.session.expire_all()
    assert supplier.status == SupplierStatus.verified and supplier.can_apply()
    assert AuditEntry.query.filter_by(action="supplier.verified").count() == 1
    assert Notification.query.filter_by(user_id=staff.id).count() == 1


def test_incomplete_profile_cannot_be_verified(db):
    supplier = make_company(status=SupplierStatus.registered, address=None)
    with pytest.raises(DomainError, match="地址"):
        services.verify_supplier(supplier, actor=make_user(Role.regulator))
    assert supplier.status == SupplierStatus.registered


@pytest.mark.parametrize("status", [SupplierStatus.suspended, SupplierStatus.blacklisted, SupplierStatus.registered])
def test_only_verified_companies_can_apply(status):
    assert not Supplier(status=status).can_apply()


def test_official_sees_only_suppliers_serving_their_district(client):
    mine, other = make_company(districts=("500103",)), make_company(districts=("500106",))
    login(client, make_user(Role.district_official, districts=("500103",)))
    html = client.get("/regulator/suppliers").get_data(as_text=True)
    assert mine.legal_name in html and other.legal_name not in html
    assert client.get(f"/regulator/suppliers/{other.id}").status_code == 403


def test_regulator_filters_suppliers_and_products(client):
    a, b = make_company(districts=("500103",)), make_company(districts=("500106",), status=SupplierStatus.registered)
    login(client, make_user(Role.regulator))
    html = client.get(f"/regulator/suppliers?status=registered&district={district('500106').id}").get_data(True)
    assert b.legal_name in html and a.legal_name not in html
    assert client.get("/regulator/products?status=valid&device_type=leak_alarm&tier=high&q=JT").status_code == 200
    assert client.get("/regulator/products?status=bogus&district=abc").status_code == 200


SUPPLIER_PAGES = [("get", "/supplier"), ("get", "/supplier/profile"), ("post", "/supplier/profile"),
                  ("get", "/supplier/staff"), ("post", "/supplier/staff")]
OVERSIGHT_PAGES = [("get", "/regulator/suppliers"), ("get", "/regulator/suppliers/{s}")]
REGULATOR_PAGES = [("get", "/regulator/products"), ("post", "/regulator/suppliers/{s}/verify")]
ADMIN_PAGES = [("post", "/regulator/suppliers/{s}/credit-code")]
ALL = SUPPLIER_PAGES + OVERSIGHT_PAGES + REGULATOR_PAGES + ADMIN_PAGES + [("get", "/files/suppliers/{s}/licence")]


@pytest.mark.parametrize(("method", "url"), ALL)
def test_anonymous_users_are_sent_to_login(client, method, url):
    supplier = make_company()
    response = getattr(client, method)(url.format(s=supplier.id))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.resident, Role.regulator, Role.admin, Role.inspector, Role.district_official])
@pytest.mark.parametrize(("method", "url"), SUPPLIER_PAGES)
def test_supplier_pages_refuse_other_roles(client, role, method, url):
    login(client, make_user(role, districts=("500103",) if role in (Role.inspector, Role.district_official) else ()))
    assert getattr(client, method)(url).status_code == 403


@pytest.mark.parametrize("role", [Role.resident, Role.supplier, Role.inspector])
@pytest.mark.parametrize(("method", "url"), OVERSIGHT_PAGES + REGULATOR_PAGES + ADMIN_PAGES)
def test_oversight_pages_refuse_other_roles(client, role, method, url):
    supplier = make_company(status=SupplierStatus.registered)
    login(client, make_user(role, districts=("500103",) if role == Role.inspector else ()))
    assert getattr(client, method)(url.format(s=supplier.id)).status_code == 403


def test_other_company_staff_cannot_see_licence_or_change_profile(client, db):
    mine, theirs = make_company(), make_company(licence_file="licence-" + "b" * 32 + ".pdf")
    login(client, make_staff(mine))
    assert client.get(f"/files/suppliers/{theirs.id}/licence").status_code == 403
    assert client.get(f"/regulator/suppliers/{theirs.id}").status_code == 403
    with pytest.raises(NotAllowed):
        services.update_profile(theirs, actor=make_staff(mine), legal_name="x", credit_code=theirs.credit_code,
                                qualification_name=None, qualification_level=None, contact_person=None, phone=None,
                                address=None, service_content=None, district_ids=[])


def test_supplier_account_without_company_gets_403(client):
    login(client, make_user(Role.supplier))
    assert client.get("/supplier").status_code == 403
    assert client.get("/supplier/products/new").status_code == 403


def test_dashboard_shows_company_and_expiring_certificates(client, db):
    supplier = make_company()
    staff = make_staff(supplier)
    product = make_product(supplier, staff)
    product.certificates[0].valid_until = today_shanghai() + timedelta(days=30)
    db.session.commit()
    login(client, staff)
    html = client.get("/supplier").get_data(as_text=True)
    assert supplier.legal_name in html and product.model in html and product.certificates[0].number in html


def test_replaced_licence_is_deleted_after_commit(app, client, db):
    from core.uploads import upload_dir
    supplier = make_company(status=SupplierStatus.registered)
    login(client, make_staff(supplier))
    before = sum(1 for _ in upload_dir().iterdir())
    for _n in range(5):
        data = _profile(supplier, licence=(io.BytesIO(PDF), "执照.pdf"))
        assert client.post("/supplier/profile", data=data, content_type="multipart/form-data").status_code == 302
    assert sum(1 for _ in upload_dir().iterdir()) == before + 1


@pytest.mark.parametrize("bad", ["I", "O", "S", "V", "Z"])
def test_credit_code_with_a_letter_not_allowed_names_it(client, bad):
    supplier = make_company(status=SupplierStatus.registered)
    login(client, make_staff(supplier))
    code = "9133010071610585" + bad + "F"
    response = client.post("/supplier/profile", data=_profile(supplier, credit_code=code))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"“{bad}”" in page and "校验位不正确" not in page
    with pytest.raises(DomainError) as exc:
        services.register_supplier(legal_name="某公司", credit_code=code, email="x@example.test", phone=None,
                                   display_name="某人", password="correct-horse-battery")
    assert f"“{bad}”" in exc.value.message


def test_credit_code_message_in_english(client):
    supplier = make_company(status=SupplierStatus.registered)
    login(client, make_staff(supplier))
    response = client.post("/supplier/profile?lang=en", data=_profile(supplier, credit_code="91330100716105852O"),
                           headers={"Accept-Language": "en"})
    assert "“O”" in response.get_data(as_text=True) and "not allowed" in response.get_data(as_text=True)
