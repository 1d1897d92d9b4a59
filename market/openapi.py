"""The OpenAPI 3.1 description of the open JSON API (SPEC section 7), served at /api/v1/openapi.json."""

from __future__ import annotations

from catalog.models import CertificateKind, DeviceType, Tier, Usage
from catalog.tiers import FEATURES
from core.i18n import _l
from market.search.params import MAX_PAGE, MAX_PER_PAGE, MAX_Q_LENGTH, SORTS
from registry.lists.models import AnnouncementKind
from suppliers.models import SupplierStatus

#: Operations that higher packages add to the document (devices: the access standard of the device platform).
#: Each part is a callable returning {"paths": {...}, "schemas": {...}, "responses": {...},
#: "securitySchemes": {...}}, called each time the document is built (texts follow the request's language).
_PARTS: list = []


def add_part(part) -> None:
    """Add operations to the document (called once at start-up, from the composition root's wiring)."""
    if part not in _PARTS:
        _PARTS.append(part)


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
        "price_fen": {**_INT, "minimum": 0, "description": _l("设备价格，单位为分（人民币元的百分之一）。")},
        "install_fee_fen": {**_INT, "minimum": 0, "description": _l("安装费，单位为分。")},
        "early_price_fen": {**_NINT, "description": _l("早鸟价（面向提前申请者的限时价格），单位为分。")},
        "early_price_until": _NDATE, "warranty_months": _INT, "smart": {"type": "boolean"},
        "features": {"type": "array", "items": _enum(FEATURES)},
        "standards": {"type": "array", "items": _STR},
        "certificates": {"type": "array", "items": _ref("Certificate")},
    })
    listed = {"allOf": [_ref("Product"), _obj({
        "supplier": _obj({"id": _INT, "name": _STR}),
        "districts": {"type": "array", "items": _STR, "description": _l("将其列入目录清单的区县代码。")},
        "district_prices": {"type": "object", "additionalProperties": _obj({"price_fen": _INT,
                                                                            "install_fee_fen": _INT}),
                            "description": _l("各列入区县公布的价格和安装费；上面的 price_fen 和 install_fee_fe"
                                              "n 是 district 筛选条件所指区县的价格，未指定时为最低公布价。")},
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
        "ProductGone": _obj({
            "error": _obj({"code": _STR, "message": _STR, "field": _STR}, required=["code", "message"]),
            "left": {"type": "array", "items": _obj({
                "district": _STR, "left_at": _DATETIME, "version": _NINT, "reason": _STR,
                "announcement": {"oneOf": [{"type": "null"}, _obj({"id": _INT, "title": _STR, "url": _STR})]}})},
            "supplier_status": _NSTR}, required=["error", "left"]),
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
            "description": _l("一个清单版本及其相对上一版本的变化（added 新增、"
                              "removed 移出、price_changes 价格变动）。")},
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
            description=_l("报警装置（leak_alarm）必须填写 usage；安全自闭阀（self_closing_valve）不得填写或填 null。"),
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
_CODE = _param("code", _STR, _l("区县代码（GB/T 2260 代码，或 LJXQ、GXQ、WSJK）。"), "path")


def _paths() -> dict:
    search_params = [
        _param("q", {**_STR, "maxLength": MAX_Q_LENGTH},
               _l("全文检索：中文词语、型号（全部或部分）、拼音。")),
        _param("district", _STR, _l("区县代码：只返回该区县当前目录清单上的产品。")),
        _param("device_type", _enum(DeviceType), _l("设备类型。")),
        _param("usage", _enum(Usage), _l("报警装置用途。")),
        _param("tier", _enum(Tier), _l("档次。")),
        _param("min_price", {**_INT, "minimum": 0}, _l("最低设备价格，单位为分。")),
        _param("max_price", {**_INT, "minimum": 0}, _l("最高设备价格，单位为分。")),
        _param("smart", {"type": "boolean"}, _l("只返回有（true）或没有（false）数据传输功能的产品。")),
        _param("sort", {**_enum(SORTS), "default": "relevance"}, _l("结果排序。")),
        _param("page", {**_INT, "minimum": 1, "maximum": MAX_PAGE, "default": 1},
               _l("页码；超出末页时结果为空。")),
        _param("per_page", {**_INT, "minimum": 1, "maximum": MAX_PER_PAGE, "default": 20}, _l("每页结果数。")),
    ]
    return {
        "/districts": {"get": {"operationId": "listDistricts", "summary": _l("区县及其目录清单状态"),
                               "responses": {"200": {"description": _l("全部 41 个区县"), "content": {
                                   "application/json": {"schema": _obj({"districts": {
                                       "type": "array", "items": _ref("District")}})}}}}}},
        "/districts/{code}/list": {"get": {
            "operationId": "getDistrictList", "summary": _l("区县当前公布的目录清单"),
            "parameters": [_CODE],
            "responses": {"200": _json("DistrictList", _l("当前版本")), **_NOT_FOUND}}},
        "/districts/{code}/list/versions": {"get": {
            "operationId": "listVersions", "summary": _l("历次公布的版本及其变化"),
            "parameters": [_CODE],
            "responses": {"200": {"description": _l("各版本，最新的在前"), "content": {"application/json": {
                "schema": _obj({"district": _STR, "versions": {"type": "array", "items": _ref("ListVersionSummary")}},
                               required=["versions"])}}}, **_NOT_FOUND}}},
        "/districts/{code}/list/versions/{n}": {"get": {
            "operationId": "getVersion", "summary": _l("某一公布版本及其变化"),
            "parameters": [_CODE, _param("n", {**_INT, "minimum": 1}, _l("版本号。"), "path")],
            "responses": {"200": {"description": _l("冻结的版本"), "content": {"application/json": {
                "schema": _ref("ListVersion")}}}, **_NOT_FOUND}}},
        "/products": {"get": {
            "operationId": "searchProducts", "summary": _l("在当前公布的目录清单中查找产品"),
            "parameters": search_params,
            "responses": {"200": _json("ProductSearch", _l("一页结果")), **_ERRORS}}},
        "/products/{id}": {"get": {
            "operationId": "getProduct", "summary": _l("一个已列入清单的产品"),
            "parameters": [_param("id", _INT, _l("产品编号。"), "path")],
            "responses": {"200": _json("ListedProduct", _l("该产品")), **_NOT_FOUND,
                          "410": {"$ref": "#/components/responses/Gone"}}}},
        "/products/validate": {"post": {
            "operationId": "validateProduct", "summary": _l("按附件3 的档次规则检查一份产品声明"),
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Declaration")}}},
            "responses": {"200": _json("Verdict", _l("检查结论（不合格时也返回）")), **_ERRORS}}},
        "/suppliers/{id}": {"get": {
            "operationId": "getSupplier", "summary": _l("销售安装单位的公开信息"),
            "parameters": [_param("id", _INT, _l("销售安装单位编号。"), "path")],
            "responses": {"200": {"description": _l("该销售安装单位"), "content": {"application/json": {"schema": {
                "allOf": [_ref("Supplier"), _obj({
                    "status": _enum(s for s in SupplierStatus if s != SupplierStatus.registered),
                    "districts": {"type": "array", "items": _STR,
                                  "description": _l("当前目录清单列有该单位的区县代码。")}})]}}}},
                **_NOT_FOUND}}},
        "/announcements": {"get": {
            "operationId": "listAnnouncements", "summary": _l("公告"),
            "parameters": [_param("district", _STR, _l("区县代码。")),
                           _param("kind", _enum(AnnouncementKind), _l("公告类别。"))],
            "responses": {"200": {"description": _l("公告，最新的在前"), "content": {"application/json": {
                "schema": _obj({"announcements": {"type": "array", "items": _ref("Announcement")}})}}},
                **_ERRORS}}},
        "/openapi.json": {"get": {"operationId": "getOpenApi", "summary": _l("本文档"),
                                  "responses": {"200": {"description": _l("OpenAPI 3.1 文档"),
                                                        "content": {"application/json": {"schema": _obj({
                                                            "openapi": {"type": "string", "pattern": "^3\\.1\\."},
                                                            "info": {"type": "object"},
                                                            "servers": {"type": "array"},
                                                            "paths": {"type": "object"},
                                                            "tags": {"type": "array"},
                                                            "components": {"type": "object"}})}}}}}},
    }


def _plain(value):
    """The document with its lazy texts rendered in the request's language (zh_CN, or English with ?lang=en)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def openapi_document() -> dict:
    """The whole document (plain data: JSON-serialisable), in the request's language."""
    document = _base_document()
    for part in _PARTS:
        extra = part()
        document["paths"].update(extra.get("paths", {}))
        for section in ("schemas", "responses", "securitySchemes"):
            if extra.get(section):
                document["components"].setdefault(section, {}).update(extra[section])
        if extra.get("tags"):
            document["tags"] = [*document.get("tags", []), *extra["tags"]]
    return _plain(document)


def _base_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": _l("重庆市燃气安全装置目录清单开放 API"), "version": "1.0.0",
                 "description": _l("各区县公布的目录清单、清单上的产品和销售安装单位，以及附件3 档次校验。"
                                   "无需登录。金额为整数，单位为分（人民币）。出错时返回 4xx 和 {\"error\": {\"code\""
                                   ", \"message\", \"field\"}}。")},
        "servers": [{"url": "/api/v1"}],
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "responses": {
                "BadRequest": _json("Error", _l("请求有误；field 指出有误的参数")),
                "NotFound": _json("Error", _l("未找到（或不在当前公布的目录清单上）")),
                "Gone": _json("ProductGone", _l("该产品曾列入目录清单，现已移出；message 说明移出的时间和原因")),
            },
        },
    }
