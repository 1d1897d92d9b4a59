"""Catalog pages: the product form with its verdict, uploads through forms, downloads, permission matrix."""

import gc
import io

import pytest

from catalog.models import Product, ProductStatus
from core.permissions import Role
from tests.catalog.factories import PDF, make_company, make_product
from tests.conftest import login, make_user
from tests.suppliers.factories import make_staff

FORM = {"device_type": "leak_alarm", "usage": "household", "tier": "mid", "brand": "渝安",
        "manufacturer": "重庆渝安仪表有限公司", "model": "JT-BX-9901", "price": "299.00", "install_fee": "50",
        "warranty_months": "24", "standards": "GB 15322.2-2019\nGB/T 50058-2014\nGB 16838-2021",
        "features": ["methane_detection", "passive_identifier", "status_collection", "valve_state_collection",
                     "concentration_collection", "transmission_wireless"], "is_own_manufacture": "y"}


@pytest.fixture
def world():
    mine, theirs = make_company(), make_company(districts=("500106",))
    me, them = make_staff(mine), make_staff(theirs)
    return {"mine": mine, "me": me, "my_product": make_product(mine, me),
            "their_product": make_product(theirs, them), "theirs": theirs}


def test_check_button_shows_verdict_without_saving(client, world):
    login(client, world["me"])
    response = client.post("/supplier/products/new", data={**FORM, "check": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "alarm.co" in html and "附件3 一、3" in html and "预检结果" in html
    assert Product.query.filter_by(model="JT-BX-9901").count() == 0


def test_save_stores_draft_in_fen(client, world):
    login(client, world["me"])
    response = client.post("/supplier/products/new", data=FORM)
    assert response.status_code == 302
    product = Product.query.filter_by(model="JT-BX-9901").one()
    assert product.status == ProductStatus.draft and product.price_fen == 29900 and product.install_fee_fen == 5000


def test_bad_price_is_a_field_error(client, world):
    login(client, world["me"])
    response = client.post("/supplier/products/new", data={**FORM, "price": "299.999"})
    assert response.status_code == 200
    assert "两位小数" in response.get_data(as_text=True)
    assert Product.query.filter_by(model="JT-BX-9901").count() == 0


def test_renamed_php_authorisation_is_a_field_error(client, world):
    login(client, world["me"])
    data = {**FORM, "is_own_manufacture": "", "authorisation": (io.BytesIO(b"<?php echo 1;"), "letter.pdf")}
    response = client.post("/supplier/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert "PDF、PNG 或 JPEG" in response.get_data(as_text=True)
    assert Product.query.filter_by(model="JT-BX-9901").count() == 0


# The test client spools an 11 MB request body to a temporary file that it never closes.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_eleven_megabyte_upload_is_a_translated_413(client, world):
    login(client, world["me"])
    data = {**FORM, "authorisation": (io.BytesIO(PDF + b"0" * (11 * 1024 * 1024)), "big.pdf")}
    response = client.post("/supplier/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "10 MB" in response.get_data(as_text=True)
    del data, response
    gc.collect()  # collect the spooled body here, where its warning is filtered


def test_scan_served_only_to_allowed_users(client, world):
    login(client, world["me"])
    cert = world["my_product"].certificates[0]
    response = client.post(f"/supplier/certificates/{cert.id}/edit", content_type="multipart/form-data", data={
        "kind": cert.kind.value, "number": cert.number, "issuer": cert.issuer, "valid_until": "2028-06-30",
        "scan": (io.BytesIO(PDF), "scan.pdf")})
    assert response.status_code == 302
    url = f"/files/certificates/{cert.id}/scan"
    ok = client.get(url)
    assert ok.status_code == 200 and ok.data == PDF
    assert ok.headers["X-Content-Type-Options"] == "nosniff"
    assert ok.headers["Content-Disposition"].startswith("attachment")
    ok.close()
    for user, status in ((make_user(Role.regulator), 200),
                         (make_user(Role.district_official, districts=("500103",)), 200),
                         (make_user(Role.district_official, districts=("500106",)), 403),
                         (make_staff(world["theirs"]), 403), (make_user(Role.resident), 403)):
        login(client, user)
        assert _status(client, url) == status
    with client.session_transaction() as session:
        session.clear()
    assert _status(client, url) == 302


def _status(client, url) -> int:
    response = client.get(url)
    response.close()
    return response.status_code


def test_submit_through_page(client, world):
    login(client, world["me"])
    client.post("/supplier/products/new", data=FORM)
    product = Product.query.filter_by(model="JT-BX-9901").one()
    response = client.post(f"/supplier/products/{product.id}/submit")
    assert response.status_code == 302
    assert product.status == ProductStatus.invalid  # no certificates, mid features missing
    page = client.get(f"/supplier/products/{product.id}").get_data(as_text=True)
    assert "alarm.certificates" in page


SUPPLIER_URLS = [
    ("get", "/supplier/products/{p}"), ("get", "/supplier/products/{p}/edit"), ("post", "/supplier/products/{p}/edit"),
    ("post", "/supplier/products/{p}/submit"), ("post", "/supplier/products/{p}/withdraw"),
    ("get", "/supplier/products/{p}/certificates/new"), ("post", "/supplier/products/{p}/certificates/new"),
    ("get", "/supplier/certificates/{c}/edit"), ("post", "/supplier/certificates/{c}/edit"),
]
REGULATOR_URLS = [("get", "/regulator/products/{p}"), ("post", "/regulator/certificates/{c}/status")]
ALL_URLS = SUPPLIER_URLS + REGULATOR_URLS + [("get", "/supplier/products/new"), ("get", "/files/certificates/{c}/scan")]


def _url(template, product):
    return template.format(p=product.id, c=product.certificates[0].id)


@pytest.mark.parametrize(("method", "url"), ALL_URLS)
def test_anonymous_users_are_sent_to_login(client, world, method, url):
    response = getattr(client, method)(_url(url, world["my_product"]))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "url"), SUPPLIER_URLS + [("get", "/files/certificates/{c}/scan")])
def test_other_company_gets_403(client, world, method, url):
    login(client, world["me"])
    assert getattr(client, method)(_url(url, world["their_product"])).status_code == 403


@pytest.mark.parametrize("role", [Role.resident, Role.regulator, Role.inspector, Role.admin, Role.district_official])
@pytest.mark.parametrize(("method", "url"), SUPPLIER_URLS + [("get", "/supplier/products/new")])
def test_wrong_roles_get_403_on_supplier_pages(client, world, role, method, url):
    login(client, make_user(role, districts=("500103",) if role in (Role.inspector, Role.district_official) else ()))
    assert getattr(client, method)(_url(url, world["my_product"])).status_code == 403


@pytest.mark.parametrize("role", [Role.resident, Role.supplier, Role.inspector])
@pytest.mark.parametrize(("method", "url"), REGULATOR_URLS)
def test_wrong_roles_get_403_on_regulator_pages(client, world, role, method, url):
    login(client, make_user(role, districts=("500103",) if role == Role.inspector else ()))
    assert getattr(client, method)(_url(url, world["my_product"])).status_code == 403


def test_official_cannot_change_certificate_status(client, world):
    login(client, make_user(Role.district_official, districts=("500103",)))
    cert = world["my_product"].certificates[0]
    assert client.post(f"/regulator/certificates/{cert.id}/status", data={"status": "revoked",
                                                                           "reason": "x"}).status_code == 403


def test_regulator_changes_certificate_status_through_page(client, world):
    login(client, make_user(Role.regulator))
    product = world["my_product"]
    assert client.get(f"/regulator/products/{product.id}").status_code == 200
    cert = product.certificates[0]
    response = client.post(f"/regulator/certificates/{cert.id}/status", data={"status": "revoked", "reason": "撤销"})
    assert response.status_code == 302
    assert product.status == ProductStatus.invalid


def _upload_count(app):
    from core.uploads import upload_dir
    with app.app_context():
        return sum(1 for _ in upload_dir().iterdir())


def test_refused_submission_leaves_no_uploaded_file(app, client, world, db):
    from suppliers.models import SupplierStatus
    world["mine"].status = SupplierStatus.suspended
    db.session.commit()
    before = _upload_count(app)
    login(client, world["me"])
    data = {**FORM, "is_own_manufacture": "", "authorisation": (io.BytesIO(PDF), "letter.pdf")}
    response = client.post("/supplier/products/new", data=data, content_type="multipart/form-data")
    assert response.status_code == 200
    assert Product.query.filter_by(model="JT-BX-9901").count() == 0
    assert _upload_count(app) == before


def test_replaced_authorisation_and_scan_are_deleted(app, client, world, db):
    product = world["my_product"]
    login(client, world["me"])
    before = _upload_count(app)
    edit = {**FORM, "model": product.model, "is_own_manufacture": ""}
    for n in range(5):
        response = client.post(f"/supplier/products/{product.id}/edit", content_type="multipart/form-data",
                               data={**edit, "price": f"{300 + n}.00",
                                     "authorisation": (io.BytesIO(PDF), "letter.pdf")})
        assert response.status_code == 302, response.get_data(as_text=True)
    cert = product.certificates[0]
    cert_form = {"kind": cert.kind.value, "number": cert.number, "issuer": cert.issuer,
                 "standard_edition": cert.standard_edition or "", "valid_until": cert.valid_until.isoformat()}
    for n in range(5):
        response = client.post(f"/supplier/certificates/{cert.id}/edit", content_type="multipart/form-data",
                               data={**cert_form, "issuer": f"{cert.issuer}{n}", "scan": (io.BytesIO(PDF), "scan.pdf")})
        assert response.status_code == 302, response.get_data(as_text=True)
    assert _upload_count(app) == before + 2
    for url in (f"/files/products/{product.id}/authorisation", f"/files/certificates/{cert.id}/scan"):
        download = client.get(url)
        assert download.status_code == 200
        download.close()


def test_draft_authorisation_letter_needs_a_login_that_may_see_documents(app, client, world, db):
    login(client, world["me"])
    data = {**FORM, "is_own_manufacture": "", "authorisation": (io.BytesIO(PDF), "letter.pdf")}
    assert client.post("/supplier/products/new", data=data, content_type="multipart/form-data").status_code == 302
    draft = Product.query.filter_by(model="JT-BX-9901").one()
    url = f"/files/products/{draft.id}/authorisation"
    own = client.get(url)
    assert own.status_code == 200
    own.close()
    client.get("/logout")
    with client.session_transaction() as session:
        session.clear()
    assert client.get(url).status_code in (302, 401)
    login(client, make_user(Role.resident))
    assert client.get(url).status_code == 403
    login(client, make_user(Role.district_official, districts=("500154",)))
    assert client.get(url).status_code == 403
