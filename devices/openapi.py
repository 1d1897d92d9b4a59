"""The published access standard (公开接入标准, 附件1 四(六)): the device API's part of the OpenAPI document."""

from __future__ import annotations

from catalog.models import DeviceType
from core.i18n import _l
from devices.models import AlarmOutcome, AlarmState, Carrier, DeviceState, EventType, GasType

SECURITY = [{"platformKey": []}]
_STR = {"type": "string"}
_NSTR = {"type": ["string", "null"]}
_NINT = {"type": ["integer", "null"]}
_TIME = {"type": "string", "format": "date-time"}
_NTIME = {"type": ["string", "null"], "format": "date-time"}
_NNUM = {"type": ["number", "null"]}


def _enum(enum_cls, nullable: bool = False) -> dict:
    values = [m.value for m in enum_cls]
    return {"type": ["string", "null"], "enum": [*values, None]} if nullable else {"type": "string", "enum": values}


def _obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required, **extra}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _schemas() -> dict:
    event = _obj({
        "id": {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 100}, {"type": "integer"}],
               "description": _l("平台自己的事件编号：同一单位内唯一，重复上报只计一次。")},
        "identifier": {"type": "string", "maxLength": 120, "description": _l("设备的工业互联网标识（登记册中的）。")},
        "type": _enum(EventType),
        "at": {**_TIME,
               "description": _l("设备发生该事件的时间，带时区（如 2026-12-04T08:30:00Z）；不得晚于服务器时间。")},
        "value": {**_NNUM, "description": _l("报警时为可燃气体浓度（%LEL，0–100）；其他事件可为 null。")},
    }, required=["id", "identifier", "type", "at"])
    rejection = _obj({
        "index": {"type": "integer", "minimum": 0, "description": _l("该事件在 events 中的位置（从 0 起）。")},
        "id": {"oneOf": [_STR, {"type": "integer"}, {"type": "null"}]},
        "reason": {"type": "string", "enum": ["malformed", "unknown_identifier", "not_your_device",
                                              "device_not_in_place", "future_time"]},
        "message": _STR,
        "field": _STR,
    }, required=["index", "id", "reason", "message"])
    device = _obj({
        "identifier": _STR, "carrier": _enum(Carrier), "serial": _STR, "product_id": _NINT, "supplier_id": _NINT,
        "district": _STR, "state": _enum(DeviceState), "installed_at": _TIME, "last_seen_at": _NTIME,
        "replace_by": {"type": ["string", "null"], "format": "date"},
        "device_type": _enum(DeviceType), "gas_type": _enum(GasType),
        "outside_platform": {"type": "boolean", "description": _l("由安检员登记的、未经本平台销售安装的设备。")},
        "address": {**_STR, "description": _l("安装地址（已脱敏）。")},
    })
    alarm = _obj({
        "id": {"type": "integer"}, "identifier": _STR, "district": _STR, "opened_at": _TIME,
        "value": {**_NNUM, "description": _l("报警期间的最高浓度（%LEL）。")},
        "state": _enum(AlarmState), "acknowledged_at": _NTIME, "closed_at": _NTIME,
        "outcome": _enum(AlarmOutcome, nullable=True), "cleared_at": _NTIME, "valve_closed_at": _NTIME,
        "escalated_at": _NTIME, "device_type": _enum(DeviceType), "supplier_id": _NINT,
        "address": {**_STR, "description": _l("未关闭的报警给出完整地址以便上门处置；已关闭的脱敏。")},
    })
    return {
        "DeviceEvent": event,
        "DeviceEventBatch": _obj({"events": {"type": "array", "maxItems": 500, "items": _ref("DeviceEvent")}}),
        "IntakeResult": _obj({"accepted": {"type": "integer", "minimum": 0},
                              "duplicate": {"type": "integer", "minimum": 0},
                              "rejected": {"type": "array", "items": rejection}}),
        "InstalledDevice": device,
        "DevicePage": _obj({
            "devices": {"type": "array", "items": _ref("InstalledDevice")},
            "next": {**_NSTR, "description": _l("下一页的 cursor；没有更多时为 null。")},
            "counts": {"type": "object", "additionalProperties": {"type": "integer"},
                       "description": _l("符合条件的设备按状态计数（仅第一页）。")},
        }, required=["devices", "next"]),
        "Alarm": alarm,
        "AlarmPage": _obj({"alarms": {"type": "array", "items": _ref("Alarm")}, "next": _NSTR}),
    }


def _param(name: str, schema: dict, description) -> dict:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _reads(max_limit: int = 1000) -> list[dict]:
    return [
        _param("district", _STR, _l("区县代码；须是该密钥负责的区县，不填为全部。")),
        _param("since", {"type": "string", "format": "date-time"},
               _l("只返回此后有变化的记录（带时区的 ISO 8601 时间）。")),
        _param("limit", {"type": "integer", "minimum": 1, "maximum": max_limit, "default": 100}, _l("每页条数。")),
        _param("cursor", _STR, _l("上一页响应中的 next。")),
    ]


_COMMON = {"401": _error(_l("缺少或无效的平台密钥（响应头 WWW-Authenticate: Bearer）")),
           "403": _error(_l("密钥类型不对，或不包含所请求的区县")),
           "429": _error(_l("超过该密钥的请求频率上限"))}


def part() -> dict:
    """Paths, schemas and the bearer security scheme of the device API (market.openapi.add_part)."""
    return {
        "tags": [{"name": "devices", "description": _l("设备数据平台：销售安装单位上报设备状态和报警，燃气企业读取其"
                                                      "区县的设备和报警。使用平台密钥（Bearer）认证。")}],
        "paths": {
            "/device-events": {"post": {
                "operationId": "postDeviceEvents", "tags": ["devices"], "security": SECURITY,
                "summary": _l("上报一批设备事件（心跳、报警、阀门、故障、电量）"),
                "description": _l("每次最多 500 个事件，一次请求一个事务；按（单位，事件 id）去重；"
                                  "有问题的事件逐条退回并说明原因，其余照常接收（仍返回 200）。"),
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("DeviceEventBatch")}}},
                "responses": {"200": {"description": _l("接收结果"), "content": {"application/json": {
                    "schema": _ref("IntakeResult")}}},
                    "400": _error(_l("请求体不是 {\"events\": [...]} 形式的 JSON")),
                    **_COMMON,
                    "413": _error(_l("超过请求体大小或 500 个事件的上限"))}}},
            "/utility/devices": {"get": {
                "operationId": "listUtilityDevices", "tags": ["devices"], "security": SECURITY,
                "summary": _l("燃气企业：所负责区县的设备及其状态"),
                "parameters": [*_reads(), _param("state", _enum(DeviceState), _l("设备状态。"))],
                "responses": {"200": {"description": _l("一页设备"), "content": {"application/json": {
                    "schema": _ref("DevicePage")}}},
                    "400": _error(_l("参数有误；field 指出有误的参数")), **_COMMON}}},
            "/utility/alarms": {"get": {
                "operationId": "listUtilityAlarms", "tags": ["devices"], "security": SECURITY,
                "summary": _l("燃气企业：所负责区县的报警"),
                "parameters": [*_reads(), _param("state", _enum(AlarmState), _l("报警状态。"))],
                "responses": {"200": {"description": _l("一页报警"), "content": {"application/json": {
                    "schema": _ref("AlarmPage")}}},
                    "400": _error(_l("参数有误；field 指出有误的参数")), **_COMMON}}},
        },
        "schemas": _schemas(),
        "securitySchemes": {"platformKey": {
            "type": "http", "scheme": "bearer", "bearerFormat": "gsk_<prefix>_<secret>",
            "description": _l("平台密钥：销售安装单位在“平台密钥”页面创建（用于上报），燃气企业由安检员或平台管理员创建"
                              "（用于读取）；只显示一次，可随时撤销。")}},
    }
