"""The public coverage figures' part of the OpenAPI document (SPEC 3.7, `GET /api/v1/coverage`)."""

from __future__ import annotations

from core.i18n import _l

_STR = {"type": "string"}
_COUNT = {"type": "integer", "minimum": 0}
_SHARE = {"type": ["number", "null"], "minimum": 0,
          "description": _l("已覆盖户数 ÷ 目标户数（小数，保留 4 位；可能超过 1）；没有目标时为 null。")}


def _obj(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required}


def part() -> dict:
    """Paths and schemas of the coverage API (market.openapi.add_part)."""
    district = _obj({
        "code": {**_STR, "description": _l("区县代码（GB/T 2260，功能区为 LJXQ / GXQ / WSJK）。")},
        "name": _STR,
        "target": {**_COUNT, "description": _l("各街道乡镇、各类用户、各设备类型的目标户数之和。")},
        "installed": {**_COUNT,
                      "description": _l("截至该月末已安装的户数：平台订单已安装的，加上安检员登记的平台外设备。")},
        "coverage": _SHARE,
        "priority_target": {**_COUNT,
                            "description": _l("重点用户（老旧小区居民、建档贫困户、城镇低保户）的目标户数。")},
        "priority_installed": _COUNT,
        "priority_coverage": _SHARE,
        "rank": {"type": ["integer", "null"], "minimum": 1,
                 "description": _l("按重点用户覆盖率的全市排名（并列同名次）；没有重点用户目标的区县为 null。")},
    })
    return {
        "tags": [{"name": "reports",
                  "description": _l("公开统计：各区县燃气安全装置的覆盖情况（不含任何个人信息）。")}],
        "paths": {"/coverage": {"get": {
            "operationId": "getCoverage", "tags": ["reports"],
            "summary": _l("各区县的目标、已安装户数和覆盖率"),
            "description": _l("按月（北京时间）统计；当月的数字为截至目前。按重点用户覆盖率排序。"),
            "parameters": [{"name": "month", "in": "query", "required": False,
                            "schema": {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
                            "description": _l("YYYY-MM；不填为本月。不能晚于本月。")}],
            "responses": {
                "200": {"description": _l("41 个区县"), "content": {"application/json": {"schema": _obj({
                    "month": {**_STR, "pattern": "^[0-9]{4}-[0-9]{2}$"},
                    "districts": {"type": "array", "items": {"$ref": "#/components/schemas/DistrictCoverage"}},
                })}}},
                "400": {"description": _l("月份格式有误或晚于本月；field 为 month"),
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
            }}}},
        "schemas": {"DistrictCoverage": district},
    }
