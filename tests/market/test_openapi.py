"""The OpenAPI 3.1 document is valid and describes every public endpoint of SPEC section 7."""

from __future__ import annotations

from openapi_spec_validator import validate

SPEC_PATHS = {"/districts", "/districts/{code}/list", "/districts/{code}/list/versions",
              "/districts/{code}/list/versions/{n}", "/products", "/products/{id}", "/suppliers/{id}",
              "/products/validate", "/announcements", "/openapi.json"}


def test_document_is_valid_openapi_31(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    validate(doc)
    assert SPEC_PATHS <= set(doc["paths"])


def test_search_parameters_and_error_shape_are_described(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    params = {p["name"] for p in doc["paths"]["/products"]["get"]["parameters"]}
    assert params == {"q", "district", "device_type", "usage", "tier", "min_price", "max_price", "smart", "sort",
                      "page", "per_page"}
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"]
    assert set(error) == {"code", "message", "field"}
    assert "400" in doc["paths"]["/products"]["get"]["responses"]


def test_every_described_get_path_exists(client, app):
    doc = client.get("/api/v1/openapi.json").get_json()
    rules = {r.rule.replace("/api/v1", "", 1) for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    normalised = {r.replace("<int:", "{").replace("<", "{").replace(">", "}") for r in rules}
    names = {"product_id": "id", "supplier_id": "id", "number": "n"}
    for old, new in names.items():
        normalised = {r.replace("{" + old + "}", "{" + new + "}") for r in normalised}
    assert set(doc["paths"]) <= normalised, set(doc["paths"]) - normalised


def test_api_page_lists_the_endpoints_and_is_in_the_footer(client):
    page = client.get("/api").get_data(as_text=True)
    assert "/api/v1/products" in page and "per_page" in page and "/api/v1/openapi.json" in page
    home = client.get("/").get_data(as_text=True)
    assert 'href="/api"' in home
