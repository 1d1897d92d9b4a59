"""The device platform's API under /api/v1 (SPEC 3.4), authorised by platform keys (`Authorization: Bearer`).

- `POST /device-events` (a supplier's key): a batch of at most DEVICE_EVENTS_MAX_BATCH events → 200
  `{"accepted", "duplicate", "rejected": [{"index", "id", "reason", "message", "field"}]}`; 401 without a
  valid key, 403 for a utility's key, 400 for a body that is not `{"events": [...]}`, 413 over the size
  limit (bytes or events), 429 over the key's rate limit.
- `GET /utility/devices?district=&state=&since=&limit=&cursor=` and `GET /utility/alarms?since=&state=
  &district=&limit=&cursor=` (a gas utility's key): its districts only, keyset-paged (`next` is the cursor
  of the following page, or null), personal data masked except the address of an alarm not yet closed.
"""

from __future__ import annotations

import base64
import binascii
import json

from flask import Blueprint, current_app, g, jsonify, request
from flask_limiter.util import get_remote_address
from sqlalchemy import func, select
from werkzeug.exceptions import RequestEntityTooLarge

from core import audit
from core.db import db
from core.districts import District
from core.extensions import limiter
from core.i18n import _
from core.isodate import iso
from core.personal_data import VIEWED, mask_address
from core.request_args import parse_int
from core.web import error_response
from devices.intake import ingest, parse_time
from devices.models import Alarm, AlarmState, DeviceState, InstalledDevice
from suppliers.keys import KEY_PATTERN, PlatformKey, authenticate

bp = Blueprint("devices_api", __name__, url_prefix="/api/v1")


def _token() -> str | None:
    scheme, _sep, token = (request.headers.get("Authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def rate_key() -> str:
    """Rate limits count per key (by its public prefix), or per address for requests without one."""
    match = KEY_PATTERN.match(_token() or "")
    return f"platform-key:{match.group(1)}" if match else f"address:{get_remote_address()}"


def _rate_limit() -> str:
    return current_app.config["DEVICE_API_RATE_LIMIT"]


def _unauthorized():
    body, status = error_response(401, _("缺少或无效的平台密钥：请在请求头中发送 Authorization: Bearer <密钥>。"
                                        "密钥在销售安装单位的“平台密钥”页面创建，撤销后立即失效。"),
                                  error_code="unauthorized")
    body.headers["WWW-Authenticate"] = 'Bearer realm="device-platform"'
    return body, status


def _key(kind: str):
    """The request's live key of `kind`, or the error response to return."""
    key = authenticate(_token())
    if key is None:
        return None, _unauthorized()
    if key.kind != kind:
        message = (_("这是燃气企业的只读密钥，不能上报设备事件；请使用销售安装单位的平台密钥。") if kind == "supplier"
                   else _("这是销售安装单位的密钥；设备和报警数据的查询接口只对燃气企业的密钥开放。"))
        return None, error_response(403, message, error_code="wrong_key_kind")
    g.platform_key = key
    return key, None


@bp.post("/device-events")
@limiter.limit(_rate_limit, key_func=rate_key)
def post_device_events():
    limit = current_app.config["DEVICE_EVENTS_MAX_BYTES"]
    too_large = error_response(413, _("请求体超过 %(kb)d KB 的上限：请分批上报。", kb=limit // 1024),
                               error_code="too_large")
    if request.content_length is not None and request.content_length > limit:
        return too_large
    key, refusal = _key("supplier")
    if refusal:
        return refusal
    request.max_content_length = limit
    try:
        raw = request.get_data(cache=False)
    except RequestEntityTooLarge:
        return too_large
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return error_response(400, _("请求体不是有效的 UTF-8 JSON。"), error_code="bad_json")
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        return error_response(400, _("请求体必须是 {\"events\": [...]} 形式的 JSON 对象。"), error_code="bad_request",
                              field="events")
    batch = current_app.config["DEVICE_EVENTS_MAX_BATCH"]
    if len(body["events"]) > batch:
        return error_response(413, _("每次最多上报 %(n)d 个事件（本次 %(given)d 个）：请分批上报。", n=batch,
                                     given=len(body["events"])), error_code="too_many_events", field="events")
    result = ingest(key, body["events"])
    db.session.commit()
    return jsonify(result.as_json())


# -- the utilities' reads --

def _bad(message: str, field: str):
    return error_response(400, message, error_code="bad_request", field=field)


def _since():
    """(since or None, error)."""
    text = request.args.get("since")
    if text is None or text == "":
        return None, None
    moment = parse_time(text)
    if moment is None:
        return None, _bad(_("since 必须是带时区的 ISO 8601 时间，例如 2026-12-01T00:00:00Z。"), "since")
    return moment, None


def _limit():
    maximum = current_app.config["UTILITY_API_MAX_LIMIT"]
    text = request.args.get("limit")
    if text is None or text == "":
        return 100, None
    value = parse_int(text, None, minimum=1, maximum=maximum)
    if value is None or not text.strip().isdigit():
        return None, _bad(_("limit 必须是 1 到 %(max)d 之间的整数。", max=maximum), "limit")
    return value, None


def _cursor():
    """(the last id of the previous page, error); the cursor is opaque to clients."""
    text = request.args.get("cursor")
    if text is None or text == "":
        return 0, None
    try:
        data = json.loads(base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4)))
        after = data["after"]
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after < 2 ** 63:
            raise ValueError
    except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error):
        return None, _bad(_("cursor 无效：请原样使用上一页响应中的 next。"), "cursor")
    return after, None


def _next_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def _districts(key: PlatformKey):
    """(the district ids the request reads, error): the key's districts, or the one `district=` names."""
    code = request.args.get("district")
    if code is None or code == "":
        return key.district_ids, None
    district = db.session.scalar(select(District).where(District.code == code.strip()))
    if district is None:
        return None, _bad(_("未知的区县代码：%(code)s。", code=code[:20]), "district")
    if district.id not in key.district_ids:
        return None, error_response(403, _("该密钥不包含区县 %(code)s 的数据。", code=district.code),
                                    error_code="forbidden", field="district")
    return {district.id}, None


def _enum_arg(name: str, enum_cls):
    text = request.args.get(name)
    if text is None or text == "":
        return None, None
    if text not in {s.value for s in enum_cls}:
        return None, _bad(_("%(name)s 必须是以下之一：%(values)s。", name=name,
                            values=", ".join(s.value for s in enum_cls)), name)
    return text, None


def _codes() -> dict[int, str]:
    return dict(db.session.execute(select(District.id, District.code)).all())


def _read_args(key: PlatformKey, state_enum):
    """The common arguments, or the first error."""
    results = {}
    for name, read in (("districts", lambda: _districts(key)), ("state", lambda: _enum_arg("state", state_enum)),
                       ("since", _since), ("limit", _limit), ("after", _cursor)):
        value, error = read()
        if error is not None:
            return None, error
        results[name] = value
    return results, None


@bp.get("/utility/devices")
@limiter.limit(_rate_limit, key_func=rate_key)
def utility_devices():
    key, refusal = _key("utility")
    if refusal:
        return refusal
    args, error = _read_args(key, DeviceState)
    if error:
        return error
    conditions = [InstalledDevice.district_id.in_(sorted(args["districts"]))]
    if args["state"]:
        conditions.append(InstalledDevice.state == args["state"])
    if args["since"]:
        conditions.append(InstalledDevice.updated_at >= args["since"])
    rows = list(db.session.scalars(select(InstalledDevice).where(*conditions, InstalledDevice.id > args["after"])
                                   .order_by(InstalledDevice.id).limit(args["limit"] + 1)))
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    codes = _codes()
    body = {"devices": [_device_json(d, codes) for d in rows],
            "next": _next_cursor(rows[-1].id) if more and rows else None}
    if not args["after"]:
        # the state of the utility's devices, counted by the database (first page only)
        counts = db.session.execute(select(InstalledDevice.state, func.count()).where(*conditions)
                                    .group_by(InstalledDevice.state)).all()
        body["counts"] = {str(state): n for state, n in counts}
    db.session.commit()  # the key's last use
    return jsonify(body)


def _device_json(device: InstalledDevice, codes: dict[int, str]) -> dict:
    return {"identifier": device.identifier, "carrier": str(device.carrier), "serial": device.serial,
            "product_id": device.product_id, "supplier_id": device.supplier_id,
            "district": codes.get(device.district_id), "state": str(device.state),
            "installed_at": iso(device.installed_at), "last_seen_at": iso(device.last_seen_at),
            "replace_by": iso(device.replace_by), "device_type": str(device.device_type),
            "gas_type": str(device.gas_type), "outside_platform": device.order_id is None,
            "address": mask_address(device.address)}


@bp.get("/utility/alarms")
@limiter.limit(_rate_limit, key_func=rate_key)
def utility_alarms():
    key, refusal = _key("utility")
    if refusal:
        return refusal
    args, error = _read_args(key, AlarmState)
    if error:
        return error
    conditions = [Alarm.district_id.in_(sorted(args["districts"])), Alarm.id > args["after"]]
    if args["state"]:
        conditions.append(Alarm.state == args["state"])
    if args["since"]:
        conditions.append(Alarm.updated_at >= args["since"])
    query = select(Alarm, InstalledDevice).join(InstalledDevice, InstalledDevice.id == Alarm.device_id)
    rows = db.session.execute(query.where(*conditions).order_by(Alarm.id).limit(args["limit"] + 1)).all()
    more = len(rows) > args["limit"]
    rows = rows[:args["limit"]]
    codes = _codes()
    shown = [alarm.id for alarm, device in rows if alarm.state != AlarmState.closed and device.address]
    if shown:
        # the address of an open alarm goes out unmasked so the utility can respond: audited, one entry a read
        audit.record(key.actor, VIEWED, None, {}, extra={"alarm_ids": shown, "fields": ["address"],
                                                         "key": key.prefix})
    db.session.commit()
    return jsonify({"alarms": [_alarm_json(a, d, codes) for a, d in rows],
                    "next": _next_cursor(rows[-1][0].id) if more and rows else None})


def _alarm_json(alarm: Alarm, device: InstalledDevice, codes: dict[int, str]) -> dict:
    open_ = alarm.state != AlarmState.closed
    return {"id": alarm.id, "identifier": device.identifier, "district": codes.get(alarm.district_id),
            "opened_at": iso(alarm.opened_at), "value": alarm.value, "state": str(alarm.state),
            "acknowledged_at": iso(alarm.acknowledged_at), "closed_at": iso(alarm.closed_at),
            "outcome": str(alarm.outcome) if alarm.outcome else None,
            "cleared_at": iso(alarm.cleared_at), "valve_closed_at": iso(alarm.valve_closed_at),
            "escalated_at": iso(alarm.escalated_at), "device_type": str(device.device_type),
            "supplier_id": device.supplier_id,
            "address": (device.address or "") if open_ else mask_address(device.address)}
