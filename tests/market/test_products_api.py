"""GET /api/v1/products and /api/v1/products/{id}: SPEC 7 shape, filters, errors, pages."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

import pytest

from catalog.public_fields import product_public
from tests.market.search_factories import catalog_data, listing  # noqa: F401
from tests.registry.helpers import published_list

PRODUCT_FIELDS = {"id", "device_type", "usage", "tier", "brand", "model", "price_fen", "install_fee_fen",
                  "early_price_fen", "early_price_until", "warranty_months", "smart", "features", "standards",
                  "certificates"}


def test_search_response_shape(client, catalog_data):
    body = client.get("/api/v1/products?q=一氧化碳&sort=price").get_json()
    assert set(body) == {"total", "page", "per_page", "results"}
    assert body["total"] == 2 and body["page"] == 1 and body["per_page"] == 20
    first = body["results"][0]
    assert set(first) == PRODUCT_FIELDS | {"supplier", "districts", "district_prices"}
    alarm = catalog_data["alarm_mid"]
    assert first["id"] == alarm.id and first["districts"] == ["500103", "500104"]
    assert first["supplier"] == {"id": alarm.supplier_id, "name": "重庆安燃科技有限公司"}
    assert {k: first[k] for k in PRODUCT_FIELDS} == product_public(alarm)


def test_filters_sort_and_pages(client, catalog_data):
    body = client.get("/api/v1/products?device_type=leak_alarm&usage=household&smart=true").get_json()
    assert body["total"] == 2 and [r["model"] for r in body["results"]] == ["JT-BX200", "JT-BX100"]
    body = client.get("/api/v1/products?sort=-price&per_page=2&page=2").get_json()
    assert body["total"] == 5 and [r["model"] for r in body["results"]] == ["JT-BX200", "JT-BX100"]
    body = client.get("/api/v1/products?page=99").get_json()
    assert body["results"] == [] and body["total"] == 5
    body = client.get("/api/v1/products?district=500105&min_price=50000&max_price=60000").get_json()
    assert [r["model"] for r in body["results"]] == ["ZB-25H"]
    body = client.get("/api/v1/products?q=zbf&tier=low").get_json()
    assert [r["model"] for r in body["results"]] == ["ZB-15A"]


def test_list_snapshot_product_fields_are_exactly_the_apis(client):
    """A product on a really published list: its snapshot entry is the API's product fields, nothing more."""
    _official, _suppliers, version = published_list("500103", n=3)
    snapshot = [p for s in version.snapshot["suppliers"] for p in s["products"]]
    assert snapshot
    for entry in snapshot:
        body = client.get(f"/api/v1/products/{entry['id']}").get_json()
        assert set(entry) == PRODUCT_FIELDS
        assert entry == {k: body[k] for k in PRODUCT_FIELDS}


@pytest.mark.parametrize(("query", "field"), [
    ("tier=gold", "tier"), ("device_type=boiler", "device_type"), ("usage=industrial", "usage"),
    ("district=999999", "district"), ("smart=perhaps", "smart"), ("sort=name", "sort"), ("page=0", "page"),
    ("page=abc", "page"), ("per_page=101", "per_page"), ("min_price=-1", "min_price"),
    ("max_price=1.5", "max_price"), ("min_price=500&max_price=100", "min_price"),
])
def test_unknown_filter_value_is_400_naming_the_parameter(client, listing, query, field):
    response = client.get(f"/api/v1/products?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == field and error["code"] == "invalid_parameter" and error["message"]


@pytest.mark.parametrize("q", ['"unbalanced', "AND OR NOT", "*", "a:b", "报警器" * 66, "%00", "[1 TO", "\\"])
def test_odd_queries_never_500(client, catalog_data, q):
    response = client.get("/api/v1/products", query_string={"q": q})
    assert response.status_code == 200
    assert isinstance(response.get_json()["results"], list)


def test_get_one_product(client, catalog_data):
    valve = catalog_data["valve_high"]
    body = client.get(f"/api/v1/products/{valve.id}").get_json()
    assert body["model"] == "ZB-25H" and body["districts"] == ["500105"] and body["early_price_fen"] == 49900
    for missing in (catalog_data["unlisted"].id, 987654):
        response = client.get(f"/api/v1/products/{missing}")
        error = response.get_json()["error"]
        assert response.status_code == 404 and error["code"] == "not_found" and error["field"] == "id"
