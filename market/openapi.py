"""The OpenAPI 3.1 description of the open JSON API (SPEC section 7), served at /api/v1/openapi.json."""

from __future__ import annotations

from catalog.models import CertificateKind, DeviceType, Tier, Usage
from catalog.tiers import FEATURES
from market.search.params import MAX_PAGE, MAX_PER_PAGE, MAX_Q_LENGTH, SORTS
from registry.lists.models import AnnouncementKind
from suppliers.models import SupplierStatus

_STR = {"type": "string"}
_INT = {"type": "integer"}
_NSTR = {"type": ["string", "null"]}
_NINT = {"type": ["integer", "null"]}
_DATE = {"type": "string", "format": "date"}
_NDATE = {"type": ["string", "null"], "format": "date"}
_DATETIME = {"type": ["string", "null"], "format": "date-time"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    return {"type": "object", "properties": properties, "required": required or list(properties), **extra}


def _enum(values, nullable: bool = False) -> dict:
    values = [str(getattr(v, "value", v)) for v in values]
    if nullable:
        return {"type": ["string", "null"], "enum": [*values, None]}
    return {"type": "string", "enum": values}


def _schemas() -> dict:
    certificate = _obj({"kind": _enum(CertificateKind), "number": _STR, "issuer": _STR, "valid_until": _DATE})
    product = _obj({
        "id": _INT, "device_type": _enum(DeviceType), "usage": _enum(Usage, nullable=True), "tier": _enum(Tier),
        "brand": _STR, "model": _STR,
        "price_fen": {**_INT, "minimum": 0, "description": "Device price in fen (1/100 CNY)."},
        "install_fee_fen": {**_INT, "minimum": 0, "description": "Installation fee in fen."},
        "early_price_fen": {**_NINT, "description": "Limited-time price for early applicants, in fen."},
        "early_price_until": _NDATE, "warranty_months": _INT, "smart": {"type": "boolean"},
        "features": {"type": "array", "items": _enum(FEATURES)},
        "standards": {"type": "array", "items": _STR},
        "certificates": {"type": "array", "items": _ref("Certificate")},
    })
    listed = {"allOf": [_ref("Product"), _obj({
        "supplier": _obj({"id": _INT, "name": _STR}),
        "districts": {"type": "array", "items": _STR, "description": "Codes of the districts listing it."},
        "district_prices": {"type": "object", "additionalProperties": _obj({"price_fen": _INT,
                                                                            "install_fee_fen": _INT}),
                            "description": "The published price and installation fee in each listing district; "
                                           "price_fen/install_fee_fen above are those of the `district` "
                                           "filter, else the lowest published."},
    })]}
    supplier = _obj({"id": _INT, "name": _STR, "credit_code": _STR, "qualification": _NSTR,
                     "qualification_level": _NSTR, "contact_person": _NSTR, "phone": _NSTR, "address": _NSTR,
                     "service_content": _NSTR})
    brief = _obj({"id": _INT, "name": _STR})
    list_suppliers = {"type": "array", "items": {"allOf": [_ref("Supplier"), _obj({
        "products": {"type": "array", "items": _ref("Product")}})]}}
    diff = _obj({
        "added": _obj({"suppliers": {"type": "array", "items": brief},
                       "products": {"type": "array", "items": {"type": "object"}}}),
        "removed": _obj({"suppliers": {"type": "array", "items": brief},
                         "products": {"type": "array", "items": {"type": "object"}}}),
        "price_changes": {"type": "array", "items": {"type": "object"}},
    }, required=["added", "removed"])
    violation = _obj({"rule": _STR, "source": _STR, "message": _STR}, required=["rule", "message"])
    return {
        "Error": _obj({"error": _obj({"code": _STR, "message": _STR, "field": _STR}, required=["code", "message"])}),
        "Certificate": certificate,
        "Product": product,
        "ListedProduct": listed,
        "ProductSearch": _obj({"total": _INT, "page": _INT, "per_page": _INT,
                               "results": {"type": "array", "items": _ref("ListedProduct")}}),
        "Supplier": supplier,
        "District": _obj({"code": _STR, "name": _STR, "name_en": _STR, "kind": _STR, "list": _obj({
            "published": {"type": "boolean"}, "version": _NINT, "published_at": _DATETIME,
            "supplier_count": _INT})}),
        "DistrictList": _obj({
            "district": {"oneOf": [_STR, {"type": "object"}]}, "version": _INT, "published_at": _DATETIME,
            "exception_reason": _NSTR, "below_minimum": {"type": "boolean"},
            "suppliers": list_suppliers}),
        "VersionDiff": diff,
        "ListVersionSummary": {"allOf": [_ref("VersionDiff"), _obj({
            "district": _STR, "version": _INT, "published_at": _DATETIME, "exception_reason": _NSTR,
            "supplier_count": _INT, "product_count": _INT, "below_minimum": {"type": "boolean"}})],
            "description": "A version with what changed from the previous one (added, removed, price_changes)."},
        "ListVersion": {"allOf": [_ref("ListVersionSummary"), _obj({"suppliers": list_suppliers})]},
        "Announcement": _obj({"id": _INT, "district": _NSTR, "kind": _enum(AnnouncementKind),
                              "title": _STR, "body": _STR,
                              "published_at": _DATETIME, "case_number": _NSTR}),
        "Declaration": _obj({
            "device_type": _enum(DeviceType), "usage": _enum(Usage, nullable=True), "tier": _enum(Tier),
            "features": {"type": "array", "items": _enum(FEATURES)},
            "standards": {"type": "array", "items": _STR},
            "certificates": {"type": "array", "items": _obj(
                {"kind": _enum(CertificateKind), "number": _STR, "valid_until": _DATE}, required=["kind"])},
            "as_of": _DATE}, required=["device_type", "tier", "features"],
            description="`usage` is required for leak_alarm and must be absent or null for self_closing_valve.",
            allOf=[{"if": {"properties": {"device_type": {"const": "leak_alarm"}}},
                    "then": {"required": ["usage"], "properties": {"usage": _enum(Usage)}},
                    "else": {"properties": {"usage": {"type": "null"}}}}]),
        "Verdict": _obj({"valid": {"type": "boolean"}, "device_type": _STR, "tier": _STR,
                         "qualifies_for": _enum(Tier, nullable=True),
                         "violations": {"type": "array", "items": violation},
                         "warnings": {"type": "array", "items": violation}}),
    }


def _param(name: str, schema: dict, description: str, where: str = "query", required: bool = False) -> dict:
    return {"name": name, "in": where, "required": where == "path" or required, "schema": schema,
            "description": description}


def _json(schema_name: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema_name)}}}


_ERRORS = {"400": {"$ref": "#/components/responses/BadRequest"}}
_NOT_FOUND = {"404": {"$ref": "#/components/responses/NotFound"}}
_CODE = _param("code", _STR, "District code (GB/T 2260, or LJXQ, GXQ, WSJK).", "path")


def _paths() -> dict:
    search_params = [
        _param("q", {**_STR, "maxLength": MAX_Q_LENGTH},
               "Full text: Chinese words, model numbers (whole or part), pinyin."),
        _param("district", _STR, "District code; only products on that district's current list."),
        _param("device_type", _enum(DeviceType), "Device type."),
        _param("usage", _enum(Usage), "Alarm usage."),
        _param("tier", _enum(Tier), "Tier."),
        _param("min_price", {**_INT, "minimum": 0}, "Lowest device price in fen."),
        _param("max_price", {**_INT, "minimum": 0}, "Highest device price in fen."),
        _param("smart", {"type": "boolean"}, "Only products with (true) or without (false) data transmission."),
        _param("sort", {**_enum(SORTS), "default": "relevance"}, "Order of the results."),
        _param("page", {**_INT, "minimum": 1, "maximum": MAX_PAGE, "default": 1},
               "Page number; a page past the end is empty."),
        _param("per_page", {**_INT, "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20}, "Results per page."),
    ]
    return {
        "/districts": {"get": {"operationId": "listDistricts", "summary": "Districts and their list status",
                               "responses": {"200": {"description": "All 41 districts", "content": {
                                   "application/json": {"schema": _obj({"districts": {
                                       "type": "array", "items": _ref("District")}})}}}}}},
        "/districts/{code}/list": {"get": {
            "operationId": "getDistrictList", "summary": "The district's current published list",
            "parameters": [_CODE],
            "responses": {"200": _json("DistrictList", "Current version"), **_NOT_FOUND}}},
        "/districts/{code}/list/versions": {"get": {
            "operationId": "listVersions", "summary": "Every published version with what changed",
            "parameters": [_CODE],
            "responses": {"200": {"description": "Versions, newest first", "content": {"application/json": {
                "schema": _obj({"district": _STR, "versions": {"type": "array", "items": _ref("ListVersionSummary")}},
                               required=["versions"])}}}, **_NOT_FOUND}}},
        "/districts/{code}/list/versions/{n}": {"get": {
            "operationId": "getVersion", "summary": "One published version with what changed",
            "parameters": [_CODE, _param("n", {**_INT, "minimum": 1}, "Version number.", "path")],
            "responses": {"200": {"description": "The frozen version", "content": {"application/json": {
                "schema": _ref("ListVersion")}}}, **_NOT_FOUND}}},
        "/products": {"get": {
            "operationId": "searchProducts", "summary": "Search the products on current published lists",
            "parameters": search_params,
            "responses": {"200": _json("ProductSearch", "One page of results"), **_ERRORS}}},
        "/products/{id}": {"get": {
            "operationId": "getProduct", "summary": "A listed product",
            "parameters": [_param("id", _INT, "Product id.", "path")],
            "responses": {"200": _json("ListedProduct", "The product"), **_NOT_FOUND}}},
        "/products/validate": {"post": {
            "operationId": "validateProduct", "summary": "Check a declaration against the 附件3 tier rules",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Declaration")}}},
            "responses": {"200": _json("Verdict", "The verdict (also when not valid)"), **_ERRORS}}},
        "/suppliers/{id}": {"get": {
            "operationId": "getSupplier", "summary": "A supplier's public fields",
            "parameters": [_param("id", _INT, "Supplier id.", "path")],
            "responses": {"200": {"description": "The supplier", "content": {"application/json": {"schema": {
                "allOf": [_ref("Supplier"), _obj({
                    "status": _enum(s for s in SupplierStatus if s != SupplierStatus.registered),
                    "districts": {"type": "array", "items": _STR,
                                  "description": "Codes of the districts whose current list carries it."}})]}}}},
                **_NOT_FOUND}}},
        "/announcements": {"get": {
            "operationId": "listAnnouncements", "summary": "Public announcements (公告)",
            "parameters": [_param("district", _STR, "District code."),
                           _param("kind", _enum(AnnouncementKind), "Announcement kind.")],
            "responses": {"200": {"description": "Announcements, newest first", "content": {"application/json": {
                "schema": _obj({"announcements": {"type": "array", "items": _ref("Announcement")}})}}},
                **_ERRORS}}},
        "/openapi.json": {"get": {"operationId": "getOpenApi", "summary": "This document",
                                  "responses": {"200": {"description": "OpenAPI 3.1 document",
                                                        "content": {"application/json": {"schema": _obj({
                                                            "openapi": {"type": "string", "pattern": "^3\\.1\\."},
                                                            "info": {"type": "object"},
                                                            "servers": {"type": "array"},
                                                            "paths": {"type": "object"},
                                                            "components": {"type": "object"}})}}}}}},
    }


def openapi_document() -> dict:
    """The whole document (plain data: JSON-serialisable)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Chongqing gas safety device registry — open API", "version": "1.0.0",
                 "description": "Published district lists (目录清单), listed products and suppliers, and the "
                                "附件3 tier validator. No login. Money in integer fen (CNY). Errors: 4xx with "
                                "{\"error\": {\"code\", \"message\", \"field\"}}."},
        "servers": [{"url": "/api/v1"}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "responses": {
                "BadRequest": _json("Error", "Malformed request; `field` names the parameter"),
                "NotFound": _json("Error", "Not found (or not on a current published list)"),
            },
        },
    }
