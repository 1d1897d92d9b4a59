"""Hostile input is answered with a 4xx or a field message, never a 500 (bounded integers, money, text, dates)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from catalog.models import Product
from core.accounts.models import User
from core.permissions import Role
from core.request_args import MAX_DB_INT, BoundedIntConverter, parse_day, parse_int
from core.safe_redirect import is_local_path
from registry.district_models import OldCommunity, SubsidyPolicy
from registry.list_models import Application, Solicitation
from tests.catalog.factories import make_company
from tests.catalog.test_routes import FORM as PRODUCT_FORM
from tests.conftest import district, login, make_user
from tests.registry.factories import make_full_supplier, make_official
from tests.registry.helpers import open_call
from tests.suppliers.factories import make_staff

HUGE = "99999999999999999999"
JUST_TOO_BIG = str(MAX_DB_INT + 1)  # 2147483648: PostgreSQL INTEGER overflows


def test_every_int_route_argument_is_bounded(app):
    converters = [c for rule in app.url_map.iter_rules() for c in rule._converters.values()
                  if type(c).__name__.endswith("IntConverter")]
    assert converters and all(isinstance(c, BoundedIntConverter) and c.max == MAX_DB_INT for c in converters)


@pytest.mark.parametrize("url", [f"/products/{JUST_TOO_BIG}", f"/products/{2**63}", f"/api/v1/suppliers/{HUGE}",
                                 f"/api/v1/districts/500103/list/versions/{HUGE}", f"/api/v1/products/{HUGE}"])
def test_huge_ids_in_urls_are_a_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    if url.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "not_found"


def test_largest_database_integer_is_still_routed(client):
    assert client.get(f"/products/{MAX_DB_INT}").status_code == 404  # routed, then not found in the database


@pytest.mark.parametrize(("role", "url"), [
    (Role.admin, f"/audit?page={HUGE}"), (Role.admin, f"/admin/users?page={HUGE}"),
    (Role.resident, f"/notifications?page={HUGE}&per_page={HUGE}"),
    (Role.regulator, f"/regulator/suppliers?page={HUGE}"),
    (Role.regulator, f"/regulator/products?page={HUGE}"), (Role.regulator, f"/regulator/suppliers?district={HUGE}"),
    (Role.regulator, f"/regulator/products?district={HUGE}"), (Role.admin, "/audit?to=9999-12-31"),
    (Role.admin, "/audit?from=0001-01-01&to=0001-01-01"), (None, f"/announcements?page={HUGE}"),
    (None, f"/districts/500103/list/versions?a={HUGE}&b=1"),
])
def test_huge_query_parameters_are_not_a_server_error(client, role, url):
    if role:
        login(client, make_user(role))
    assert client.get(url).status_code in (200, 404)


@pytest.mark.parametrize("page", ["townships", "communities"])
def test_huge_edit_id_is_a_404(client, page):
    login(client, make_official())
    assert client.get(f"/official/districts/500103/{page}?edit={HUGE}").status_code == 404
    assert client.get(f"/official/districts/500103/{page}?edit=abc").status_code == 404


def test_nul_in_the_query_string_is_a_400(client):
    login(client, make_user(Role.admin))
    assert client.get("/audit?actor=a%00b").status_code == 400
    assert client.get("/api/v1/products?q=%00").status_code == 400


def test_request_arg_helpers():
    assert parse_int(HUGE) is None and parse_int("12") == 12 and parse_int(" 7 ") == 7 and parse_int("1e3") is None
    assert parse_int(str(MAX_DB_INT)) == MAX_DB_INT and parse_int(JUST_TOO_BIG, 5) == 5
    assert parse_day("9999-12-31") + timedelta(days=1) and parse_day("0001-01-01") - timedelta(days=1)
    assert parse_day("2026-02-30") is None and parse_day("2026-12-01") == date(2026, 12, 1)


# --- money -------------------------------------------------------------------------------------------------

SUBSIDY = {"category": "old_community", "device_type": "self_closing_valve", "kind": "fixed",
           "valid_from": "2026-01-01"}


@pytest.mark.parametrize("amount", ["inf", "1e308", HUGE, "NaN", "-5", "   "])
@pytest.mark.parametrize("name", ["amount", "cap"])
def test_subsidy_money_is_bounded(client, db, name, amount):
    login(client, make_official())
    data = {**SUBSIDY, "amount": amount} if name == "amount" else {**SUBSIDY, "kind": "percentage", "percent": "50",
                                                                      "cap": amount}
    response = client.post("/official/districts/500103/subsidies", data=data)
    assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(SubsidyPolicy.id))) == 0


@pytest.mark.parametrize(("name", "value"), [("price", "inf"), ("price", "1e308"), ("price", HUGE),
                                             ("install_fee", "inf"), ("install_fee", HUGE), ("price", "0")])
def test_application_money_is_bounded(client, db, name, value):
    call = open_call(make_official())
    supplier, products = make_full_supplier()
    login(client, make_staff(supplier))
    data = {}
    for i, p in enumerate(products):
        data.update({f"items-{i}-product_id": p.id, f"items-{i}-offered": "y", f"items-{i}-price": "199.00",
                     f"items-{i}-install_fee": "50"})
    data[f"items-1-{name}"] = value
    response = client.post(f"/solicitations/{call.id}/apply", data=data)
    assert response.status_code == 200 and "invalid-feedback d-block" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Application.id))) == 0


@pytest.fixture
def supplier_staff(client):
    staff = make_staff(make_company())
    login(client, staff)
    return staff


@pytest.mark.parametrize(("changes", "message"), [
    ({"price": "   "}, "不能只包含空格"), ({"install_fee": " \t "}, "不能"), ({"price": "inf"}, "请输入金额"),
    ({"price": "1e308"}, "请输入金额"), ({"install_fee": HUGE}, "金额须小于"), ({"usage": ""}, "请选择用途"),
    ({"usage": None}, "请选择用途"), ({"brand": "   "}, "不能只包含空格"), ({"model": "JT\x00-1"}, "控制字符"),
    ({"standards": "GB 15322.2-2019\x00"}, "控制字符"),
])
@pytest.mark.parametrize("action", ["save", "check"])
def test_product_form_refuses_hostile_fields(client, db, supplier_staff, changes, message, action):
    data = {k: v for k, v in {**PRODUCT_FORM, **changes}.items() if v is not None}
    if action == "check":
        data["check"] = "1"
    response = client.post("/supplier/products/new", data=data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Product.id))) == 0


def test_tabs_and_newlines_are_allowed_in_text_areas(client, db, supplier_staff):
    response = client.post("/supplier/products/new", data={**PRODUCT_FORM, "service_content": "上门安装\t调试\r\n保修"})
    assert response.status_code == 302


# --- text ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "message"), [("   ", "不能只包含空格"), ("\u3000\u3000", "不能只包含空格"),
                                                ("征集\x00标题", "控制字符")])
def test_solicitation_title_must_be_real_text(client, db, title, message):
    login(client, make_official())
    response = client.post("/official/districts/500103/solicitations", data={
        "title": title, "requirements": "具备燃气安装资质", "device_types": ["self_closing_valve"],
        "deadline": (date.today() + timedelta(days=10)).isoformat(), "weight_qualification": 40,
        "weight_quality": 30, "weight_after_sales": 20, "weight_price": 10})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Solicitation.id))) == 0


@pytest.mark.parametrize("name", ["   ", "老旧\x00小区"])
def test_community_name_must_be_real_text(client, db, name):
    login(client, make_official())
    response = client.post("/official/districts/500103/communities", data={"name": name, "address": "解放碑"})
    assert response.status_code == 200 and "invalid-feedback" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OldCommunity.id))) == 0


@pytest.mark.parametrize(("name", "message"), [("  ", "不能只包含空格"), ("张\x00三", "控制字符")])
def test_display_name_must_be_real_text(client, db, name, message):
    response = client.post("/register", data={
        "resident_kind": "household", "display_name": name, "email": "wang@example.test",
        "home_district": district("500103").id, "password": "a-long-password", "confirm": "a-long-password"})
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "wang@example.test")) is None


# --- redirects and errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["/\t/evil.com", "/\n/evil.com", "/orders\r\nSet-Cookie: x=1", "/\x7f"])
def test_control_characters_make_a_redirect_target_foreign(target):
    assert not is_local_path(target)


@pytest.mark.parametrize("target", ["/\t/evil.com", "/%0a\n/x", "//evil.com", "https://evil.com"])
def test_compare_add_never_redirects_off_site(client, target):
    response = client.post("/compare/add", data={"product_id": "1", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/compare"


def test_login_next_with_a_newline_goes_home(client):
    login(client, make_user(Role.resident))
    response = client.get("/login?next=/orders%0aSet-Cookie:%20x=1")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_405_carries_allow(client):
    response = client.delete("/login")
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) >= {"GET", "POST"}
    api = client.put("/api/v1/products/validate")
    assert api.status_code == 405 and "POST" in api.headers["Allow"] and api.get_json()["error"]["code"]


def test_subsidy_money_in_bounds_is_saved_in_fen(client, db):
    login(client, make_official())
    data = {**SUBSIDY, "kind": "percentage", "percent": "50", "cap": "9999999.99"}
    response = client.post("/official/districts/500103/subsidies", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert db.session.scalar(select(SubsidyPolicy.cap_fen)) == 999999999


@pytest.mark.parametrize("url", ["/compare/add", "/compare/remove"])
def test_unicode_digits_are_not_ids(client, url):
    assert client.post(url, data={"product_id": "²"}).status_code == 302  # "²".isdigit() but int("²") fails
    assert client.get("/compare?ids=1,²").status_code == 200
