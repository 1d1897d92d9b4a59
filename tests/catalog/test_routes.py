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
    assert "一氧化碳浓度检测（中档及以上）" in html and "附件3 一、3" in html and "预检结果" in html
    assert Product.query.filter_by(model="JT-BX-9901").count() == 0


def test_precheck_shows_labels_not_codes(client, world):
    login(client, world["me"])
    cases = (("zh_CN", "一氧化碳浓度检测", "附件3 一、3"), ("en", "carbon monoxide", "Annex 3, I.3"))
    for lang, label, source in cases:
        html = client.post(f"/supplier/products/new?lang={lang}", data={**FORM, "check": "1"}).get_data(as_text=True)
        verdict = html[html.index('id="verdict"'):]
        assert label.lower() in verdict.lower() and source in verdict
        for code in ("alarm.co", "co_detection", "alarm.certificates", "pattern_approval", "[附件3", "<code>"):
            assert code not in verdict, (lang, code)


def test_precheck_without_certificates_says_it_cannot_judge_them(client, world):
    login(client, world["me"])
    html = client.post("/supplier/products/new", data={**FORM, "tier": "low", "check": "1"}).get_data(as_text=True)
    assert "尚未提供证书，无法判断证书要求；其他要求符合低档要求。" in html
    assert "不符合任何档次" not in html


def _declared(rows):
    data = {}
    for n, (kind, until) in enumerate(rows):
        data.update({f"precheck_certificates-{n}-kind": kind, f"precheck_certificates-{n}-number": f"NO-{n}",
                     f"precheck_certificates-{n}-valid_until": until})
    return data


def test_precheck_counts_typed_in_certificates_and_saves_none(client, world):
    login(client, world["me"])
    rows = [("pattern_approval", "2030-01-01"), ("explosion_proof", "2030-01-01"), ("fire_product", "2030-01-01")]
    html = client.post("/supplier/products/new", data={**FORM, "tier": "low", "check": "1", **_declared(rows)}
                       ).get_data(as_text=True)
    assert "符合所申报档次的全部要求" in html and "已计入您填写的 3 张证书" in html
    assert "尚未提供证书" not in html
    assert Product.query.filter_by(model="JT-BX-9901").count() == 0
    # one certificate short: the certificate rule is judged, and names what is missing
    html = client.post("/supplier/products/new", data={**FORM, "tier": "low", "check": "1", **_declared(rows[:2])}
                       ).get_data(as_text=True)
    assert "消防产品认证证书" in html and "尚未提供证书" not in html


def test_precheck_certificate_rows_refuse_bad_input(client, world):
    login(client, world["me"])
    bad = {**FORM, "check": "1", "precheck_certificates-0-number": "NO-1",
           "precheck_certificates-1-kind": "pattern_approval", "precheck_certificates-1-valid_until": "tomorrow",
           "precheck_certificates-2-kind": "no_such_kind", "precheck_certificates-2-valid_until": "2030-01-01"}
    response = client.post("/supplier/products/new", data=bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请选择证书类型，或清空这一行。" in html and "不是有效的日期值" in html and "不是有效的选择" in html
    assert "预检结果" in html and Product.query.filter_by(model="JT-BX-9901").count() == 0


def test_precheck_says_when_the_product_meets_a_higher_tier(client, world):
    login(client, world["me"])
    product = world["my_product"]  # a mid product with a full set of certificates
    form = {"device_type": "leak_alarm", "usage": "household", "tier": "low", "brand": product.brand,
            "manufacturer": product.manufacturer, "model": product.model, "price": "299", "install_fee": "50",
            "warranty_months": "24", "standards": "\n".join(product.standards), "features": list(product.features),
            "is_own_manufacture": "y", "version_id": str(product.version_id), "check": "1"}
    html = client.post(f"/supplier/products/{product.id}/edit", data=form).get_data(as_text=True)
    met = {"mid": "中档", "high": "高档"}[product.verdict["qualifies_for"]]
    assert f"符合{met}要求，您申报为低档。" in html


def test_precheck_answer_opens_at_its_result(client, world):
    login(client, world["me"])
    html = client.get("/supplier/products/new").get_data(as_text=True)
    button = html[html.index('name="check"') - 200:html.index('name="check"') + 200]
    assert 'formaction="/supplier/products/new#verdict"' in button
    assert html.index('name="check"') < html.index('id="verdict"')


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
    assert "计量器具型式批准证书、防爆合格证和消防产品认证证书" in page and "alarm.certificates" not in page


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
