"""Real responses of every operation of the open API validate against the OpenAPI document's schemas.

Each response body is checked with jsonschema (draft 2020-12, the dialect of OpenAPI 3.1) against the schema
the document gives for its status code; at the top level no property may be left undescribed.
"""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from catalog import services as catalog_services
from catalog.models import CertificateStatus
from core.db import db
from core.permissions import Role
from market.search import outbox
from tests.conftest import make_user
from tests.registry.helpers import published_list

DOC_URI = "urn:openapi"


@pytest.fixture
def doc(client):
    return client.get("/api/v1/openapi.json").get_json()


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def _check(doc: dict, path: str, method: str, response) -> None:
    """Validate `response` against the document's schema for (path, method, status)."""
    responses = doc["paths"][path][method]["responses"]
    status = str(response.status_code)
    assert status in responses, f"{method.upper()} {path} answered {status}, not described"
    described = responses[status]
    if "$ref" in described:
        name = described["$ref"].rsplit("/", 1)[1]
        pointer = _pointer("components", "responses", name, "content", "application/json", "schema")
    else:
        pointer = _pointer("paths", path, method, "responses", status, "content", "application/json", "schema")
    registry = Registry().with_resource(DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012))
    schema = {"$ref": f"{DOC_URI}#/{pointer}", "unevaluatedProperties": False}
    validator = Draft202012Validator(schema, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(response.get_json()), key=lambda e: list(e.path))
    assert not errors, f"{method.upper()} {path} {status}: " + "; ".join(
        f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])


@pytest.fixture
def world(app):
    """Two districts' worth of demo-like data: a published list with a second version (a product removed)."""
    official, suppliers, _v1 = published_list(n=3)
    removed = suppliers[0][1][1]
    catalog_services.set_certificate_status(removed.certificates[0], CertificateStatus.suspended,
                                            actor=make_user(Role.regulator), reason="公告暂停")
    db.session.commit()
    outbox.apply_outbox()
    supplier, products = suppliers[1]
    return {"supplier": supplier, "product": products[0], "removed": removed}


def test_every_operation_answers_as_documented(client, doc, world):
    product, supplier = world["product"], world["supplier"]
    calls = [
        ("/districts", "get", "/api/v1/districts", None),
        ("/districts/{code}/list", "get", "/api/v1/districts/500103/list", None),
        ("/districts/{code}/list", "get", "/api/v1/districts/500105/list", None),
        ("/districts/{code}/list", "get", "/api/v1/districts/999999/list", None),
        ("/districts/{code}/list/versions", "get", "/api/v1/districts/500103/list/versions", None),
        ("/districts/{code}/list/versions", "get", "/api/v1/districts/999999/list/versions", None),
        ("/districts/{code}/list/versions/{n}", "get", "/api/v1/districts/500103/list/versions/1", None),
        ("/districts/{code}/list/versions/{n}", "get", "/api/v1/districts/500103/list/versions/2", None),
        ("/districts/{code}/list/versions/{n}", "get", "/api/v1/districts/500103/list/versions/9", None),
        ("/products", "get", "/api/v1/products", None),
        ("/products", "get", "/api/v1/products?district=500103&sort=price&per_page=2&page=2", None),
        ("/products", "get", "/api/v1/products?tier=mid&smart=true&min_price=0&max_price=100000", None),
        ("/products", "get", "/api/v1/products?page=10001", None),
        ("/products", "get", "/api/v1/products?q=" + "阀" * 201, None),
        ("/products", "get", "/api/v1/products?device_type=boiler", None),
        ("/products/{id}", "get", f"/api/v1/products/{product.id}", None),
        ("/products/{id}", "get", f"/api/v1/products/{world['removed'].id}", None),
        ("/suppliers/{id}", "get", f"/api/v1/suppliers/{supplier.id}", None),
        ("/suppliers/{id}", "get", "/api/v1/suppliers/99999", None),
        ("/announcements", "get", "/api/v1/announcements", None),
        ("/announcements", "get", "/api/v1/announcements?district=500103&kind=product_removed", None),
        ("/announcements", "get", "/api/v1/announcements?kind=gossip", None),
        ("/openapi.json", "get", "/api/v1/openapi.json", None),
        ("/coverage", "get", "/api/v1/coverage", None),
        ("/coverage", "get", "/api/v1/coverage?month=2026-11", None),
        ("/coverage", "get", "/api/v1/coverage?month=2026-13", None),
        ("/products/validate", "post", "/api/v1/products/validate", {
            "device_type": "leak_alarm", "usage": "household", "tier": "mid",
            "features": ["methane_detection"], "standards": ["GB 15322.2-2019"],
            "certificates": [{"kind": "explosion_proof", "number": "X-1", "valid_until": "2030-01-01"}]}),
        ("/products/validate", "post", "/api/v1/products/validate", {
            "device_type": "self_closing_valve", "tier": "low", "features": []}),
        ("/products/validate", "post", "/api/v1/products/validate", {
            "device_type": "leak_alarm", "tier": "mid", "features": []}),
    ]
    seen = set()
    for path, method, url, body in calls:
        response = client.post(url, json=body) if method == "post" else client.get(url)
        assert response.status_code < 500, url
        _check(doc, path, method, response)
        seen.add((path, method))
    # every open operation; those behind a key (the device platform's) are exercised in tests/devices
    documented = {(path, method) for path, item in doc["paths"].items() for method, operation in item.items()
                  if "security" not in operation}
    assert documented == seen


def test_versions_carry_added_removed_and_price_changes(client, doc, world):
    body = client.get("/api/v1/districts/500103/list/versions/2").get_json()
    assert body["removed"]["products"] and "changes" not in body
    summary = doc["components"]["schemas"]["ListVersionSummary"]
    described = set()
    for part in summary["allOf"]:
        target = doc["components"]["schemas"][part["$ref"].rsplit("/", 1)[1]] if "$ref" in part else part
        described |= set(target["properties"])
    assert {"added", "removed", "price_changes"} <= described and "changes" not in described


def test_documented_constraints_are_enforced(client, doc):
    params = {p["name"]: p["schema"] for p in doc["paths"]["/products"]["get"]["parameters"]}
    too_long = "阀" * (params["q"]["maxLength"] + 1)
    answer = client.get("/api/v1/products", query_string={"q": too_long})
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "q"
    answer = client.get("/api/v1/products", query_string={"page": params["page"]["maximum"] + 1})
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "page"
    kinds = {p["name"]: p["schema"] for p in doc["paths"]["/announcements"]["get"]["parameters"]}["kind"]["enum"]
    assert "product_removed" in kinds
    assert client.get("/api/v1/announcements", query_string={"kind": "gossip"}).status_code == 400
    declaration = Draft202012Validator(doc["components"]["schemas"]["Declaration"])
    alarm_without_usage = {"device_type": "leak_alarm", "tier": "low", "features": []}
    assert not declaration.is_valid(alarm_without_usage)
    answer = client.post("/api/v1/products/validate", json=alarm_without_usage)
    assert answer.status_code == 400 and answer.get_json()["error"]["field"] == "usage"
    assert declaration.is_valid({"device_type": "self_closing_valve", "tier": "low", "features": []})
