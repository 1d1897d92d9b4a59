"""A product that left the lists answers 410 Gone with when, why and the announcement; one never listed is 404."""

from __future__ import annotations

from catalog import services
from catalog.models import CertificateStatus
from core.db import db
from core.permissions import Role
from market.search import index
from registry.lists import services as list_services
from suppliers.models import SupplierStatus
from tests.conftest import district, make_user
from tests.market.search_factories import make_product, make_supplier
from tests.registry.helpers import published_list


def test_a_delisted_product_page_says_when_and_why_it_left(client):
    index.clear_index()
    official, suppliers, _version = published_list("500103", 3)
    product = suppliers[0][1][0]
    assert client.get(f"/products/{product.id}").status_code == 200
    services.set_certificate_status(product.certificates[0], CertificateStatus.revoked,
                                    actor=make_user(Role.regulator), reason="证书已被撤销")
    db.session.commit()
    response = client.get(f"/products/{product.id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "已移出目录清单" in page and product.model in page and "渝中区" in page
    assert "第 2 版" in page and "原因" in page
    assert "/announcements?district=500103&amp;kind=product_removed" in page
    english = client.get(f"/products/{product.id}?lang=en").get_data(as_text=True)
    assert "left the vetted list" in english.lower() or "no longer" in english.lower()
    index.clear_index()


def test_the_api_answers_410_with_the_leaving(client):
    index.clear_index()
    official, suppliers, _version = published_list("500103", 3)
    supplier, products = suppliers[1]
    list_services.remove_supplier(district("500103"), supplier, actor=official, reason="借用资质",
                                  case_number="2026-001")
    db.session.commit()
    response = client.get(f"/api/v1/products/{products[0].id}")
    assert response.status_code == 410
    body = response.get_json()
    assert body["error"]["code"] == "gone" and body["error"]["field"] == "id"
    assert "借用资质" in body["error"]["message"]
    [left] = body["left"]
    assert left["district"] == "500103" and left["version"] == 2 and left["reason"] == "借用资质"
    assert left["left_at"] and left["announcement"]["url"].startswith("/announcements?district=500103")
    page = client.get(f"/products/{products[0].id}").get_data(as_text=True)
    assert "借用资质" in page
    index.clear_index()


def test_a_barred_company_product_is_gone_too(client):
    index.clear_index()
    _official, suppliers, _version = published_list("500103", 3)
    supplier, products = suppliers[2]
    supplier.status = SupplierStatus.suspended
    db.session.commit()
    response = client.get(f"/api/v1/products/{products[0].id}")
    assert response.status_code == 410 and response.get_json()["supplier_status"]
    assert client.get(f"/products/{products[0].id}").status_code == 410
    index.clear_index()


def test_never_listed_and_missing_products_stay_404(client):
    draft = make_product(make_supplier(), "NEVER-1")
    for url in (f"/products/{draft.id}", "/products/99999999", f"/api/v1/products/{draft.id}",
                "/api/v1/products/99999999"):
        assert client.get(url).status_code == 404, url
