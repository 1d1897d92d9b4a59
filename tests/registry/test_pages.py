import pytest

from core.db import db
from core.permissions import Role
from registry.lists import services as list_services
from tests.conftest import district, login, make_user
from tests.registry.factories import make_official
from tests.registry.helpers import open_call, published_list


def test_public_pages_render_without_login(client):
    _o, suppliers, _v = published_list()
    for url in ("/districts", "/districts/500103", "/districts/500103/versions", "/districts/500105",
                "/announcements", "/announcements?district=500103&kind=list_published", "/solicitations",
                f"/suppliers/{suppliers[0][0].id}"):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get("/districts/500103").get_data(as_text=True)
    assert suppliers[0][0].legal_name in page and suppliers[0][1][0].model in page
    assert client.get("/districts/nowhere").status_code == 404


def test_versions_compare_page(client):
    official, suppliers, _v = published_list(n=4)
    list_services.remove_supplier(district("500103"), suppliers[0][0], actor=official, reason="借用资质")
    db.session.commit()
    page = client.get("/districts/500103/versions?a=1&b=2").get_data(as_text=True)
    assert suppliers[0][0].legal_name in page
    assert client.get("/districts/500103/versions?a=1&b=9").status_code == 404


def test_below_minimum_banner_on_public_page(client):
    official, suppliers, _v = published_list(n=3)
    list_services.remove_supplier(district("500103"), suppliers[0][0], actor=official, reason="借用资质")
    db.session.commit()
    assert "不符合公布的最低要求" in client.get("/districts/500103").get_data(as_text=True)
    login(client, official)
    assert "不符合最低要求" in client.get("/official").get_data(as_text=True)


OFFICIAL_URLS = ["/official/districts/{code}/list", "/official/districts/{code}/solicitations",
                 "/official/districts/{code}/townships", "/official/districts/{code}/communities",
                 "/official/districts/{code}/targets", "/official/districts/{code}/subsidies"]


@pytest.mark.parametrize("url", OFFICIAL_URLS)
def test_official_of_500103_cannot_touch_500105(client, url):
    official = make_official("500103")
    login(client, official)
    assert client.get(url.format(code="500103")).status_code == 200
    assert client.get(url.format(code="500105")).status_code == 403
    assert client.post(url.format(code="500105"), data={"name": "x"}).status_code == 403


@pytest.mark.parametrize("role", [Role.supplier, Role.resident, Role.inspector])
def test_wrong_roles_refused_on_official_urls(client, role):
    user = make_user(role, districts=("500103",) if role == Role.inspector else ())
    login(client, user)
    for url in ["/official", *OFFICIAL_URLS]:
        assert client.get(url.format(code="500103")).status_code == 403, url


def test_anonymous_redirected_to_login(client):
    for url in ["/official", *OFFICIAL_URLS, "/applications"]:
        response = client.get(url.format(code="500103"))
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_regulator_reads_but_cannot_publish(client):
    published_list()
    regulator = make_user(Role.regulator)
    login(client, regulator)
    assert client.get("/official/districts/500103/list").status_code == 200
    assert client.post("/official/districts/500103/list", data={"exception_reason": ""}).status_code == 403
    assert client.post("/official/districts/500103/townships", data={"name": "x", "kind": "street"}).status_code == 403


def test_official_cannot_review_other_districts_application(client):
    other = make_official("500105")
    call = open_call(other, "500105")
    login(client, make_official("500103"))
    assert client.get(f"/official/solicitations/{call.id}").status_code == 403
    assert client.post(f"/official/solicitations/{call.id}/close").status_code == 403


def test_official_list_page_shows_unpublished_changes(client):
    official, _suppliers, _v = published_list()
    login(client, official)
    page = client.get("/official/districts/500103/list").get_data(as_text=True)
    assert "与上一版相比没有变化" in page
