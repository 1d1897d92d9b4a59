from core.db import db
from registry.lists import services as list_services
from tests.conftest import district
from tests.registry.helpers import published_list

SUPPLIER_KEYS = {"id", "name", "credit_code", "qualification", "qualification_level", "contact_person", "phone",
                 "address", "service_content", "products"}
PRODUCT_KEYS = {"id", "device_type", "usage", "tier", "brand", "model", "price_fen", "install_fee_fen",
                "early_price_fen", "early_price_until", "warranty_months", "smart", "features", "standards",
                "certificates"}
CERT_KEYS = {"kind", "number", "issuer", "valid_until"}


def test_districts_lists_all_41_with_list_status(client):
    published_list()
    body = client.get("/api/v1/districts").get_json()
    assert len(body["districts"]) == 41
    row = next(d for d in body["districts"] if d["code"] == "500103")
    assert set(row) == {"code", "name", "name_en", "kind", "list"}
    assert set(row["list"]) == {"published", "version", "published_at", "supplier_count"}
    assert row["list"]["published"] is True and row["list"]["supplier_count"] == 3
    other = next(d for d in body["districts"] if d["code"] == "500105")
    assert other["list"] == {"published": False, "version": None, "published_at": None, "supplier_count": 0}


def test_district_list_has_exact_fields(client):
    published_list()
    body = client.get("/api/v1/districts/500103/list").get_json()
    assert {"district", "version", "published_at", "exception_reason", "suppliers"} <= set(body)
    supplier = body["suppliers"][0]
    assert set(supplier) == SUPPLIER_KEYS
    assert set(supplier["products"][0]) == PRODUCT_KEYS
    assert set(supplier["products"][0]["certificates"][0]) == CERT_KEYS
    assert isinstance(supplier["products"][0]["price_fen"], int)


def test_unknown_or_unpublished_district_is_404_json(client):
    for url in ("/api/v1/districts/999999/list", "/api/v1/districts/500105/list",
                "/api/v1/districts/500103/list/versions/7"):
        response = client.get(url)
        assert response.status_code == 404 and response.is_json
        assert set(response.get_json()["error"]) >= {"code", "message"}


def test_versions_each_say_what_was_added_and_removed(client):
    official, suppliers, _v1 = published_list(n=4)
    list_services.remove_supplier(district("500103"), suppliers[0][0], actor=official, reason="价格操纵")
    db.session.commit()
    body = client.get("/api/v1/districts/500103/list/versions").get_json()
    assert [v["version"] for v in body["versions"]] == [2, 1]
    removed = body["versions"][0]["removed"]["suppliers"]
    assert removed == [{"id": suppliers[0][0].id, "name": suppliers[0][0].legal_name}]
    assert len(body["versions"][1]["added"]["suppliers"]) == 4
    one = client.get("/api/v1/districts/500103/list/versions/1").get_json()
    assert one["version"] == 1 and len(one["suppliers"]) == 4 and "added" in one and "removed" in one


def test_supplier_api_has_public_fields_only(client):
    _o, suppliers, _v = published_list()
    body = client.get(f"/api/v1/suppliers/{suppliers[0][0].id}").get_json()
    assert set(body) - {"status", "districts"} == SUPPLIER_KEYS - {"products"}
    assert body["districts"] == ["500103"]
    assert "staff" not in body and "licence_file" not in body
    assert client.get("/api/v1/suppliers/999999").status_code == 404


def test_announcements_filter_and_unknown_kind(client):
    official, suppliers, _v = published_list(n=4)
    list_services.remove_supplier(district("500103"), suppliers[0][0], actor=official, reason="制假售假",
                                  case_number="A-1")
    db.session.commit()
    body = client.get("/api/v1/announcements?district=500103&kind=supplier_removed").get_json()
    assert len(body["announcements"]) == 1
    item = body["announcements"][0]
    assert set(item) == {"id", "district", "kind", "title", "body", "published_at", "case_number"}
    assert item["case_number"] == "A-1" and item["district"] == "500103"
    bad = client.get("/api/v1/announcements?kind=nonsense")
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "kind"
