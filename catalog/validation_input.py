"""Input of the 附件3 tier validator (SPEC section 5): vocabulary, declaration types and strict JSON parsing.

`catalog.tiers` re-exports the vocabulary, read from the enums of `catalog.vocabulary`; this module imports
nothing from the database layer so that `catalog.models` may use it without an import cycle.

Parsing decisions (the contract leaves them open):
- keys that the contract does not name are ignored (integrators may send `model`, `brand` ...);
- `features`, `standards` and `certificates` may be omitted (an empty declaration fails the rules,
  it never passes silently);
- `usage` is required for `leak_alarm` and must be absent or null for `self_closing_valve`;
- a certificate needs `kind` and `valid_until`; `number`, `issuer`, `valid_from` (not valid before it)
  and `status` (the national register state, default `valid`) are optional;
- dates are ISO `YYYY-MM-DD` strings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from catalog.vocabulary import TIER_ORDER, CertificateKind, CertificateStatus, DeviceType, Usage
from core.errors import DomainError
from core.i18n import _, _l

DEVICE_TYPES = tuple(d.value for d in DeviceType)
USAGES = tuple(u.value for u in Usage)
#: Tiers from lowest to highest.
TIERS = tuple(t.value for t in TIER_ORDER)

FEATURE_LABELS = {
    "methane_detection": _l("甲烷浓度检测"),
    "co_detection": _l("一氧化碳浓度检测"),
    "interlock_shutoff_wired": _l("有线联动切断"),
    "interlock_shutoff_wireless": _l("无线联动切断"),
    "passive_identifier": _l("工业互联网被动标识"),
    "active_identifier": _l("工业互联网主动标识"),
    "status_collection": _l("运行状态数据采集"),
    "valve_state_collection": _l("阀门开闭状态数据采集"),
    "concentration_collection": _l("泄漏气体浓度数据采集"),
    "transmission_wired": _l("有线数据传输"),
    "transmission_wireless": _l("无线数据传输"),
    "notify_phone": _l("电话告知用户"),
    "notify_wechat": _l("微信告知用户"),
    "notify_app": _l("APP 告知用户"),
    "overpressure_close": _l("超压自动关闭"),
    "underpressure_close": _l("欠压自动关闭"),
    "overflow_close": _l("过流自动关闭"),
    "no_external_power_close": _l("关闭时不借助外部动力"),
    "manual_reset": _l("关闭后须手动开启"),
}
#: One sentence per feature saying what it means (help text beside form checkboxes).
FEATURE_HELP = {
    "methane_detection": _l("检测空气中天然气主要成分甲烷的浓度，超限报警。"),
    "co_detection": _l("检测一氧化碳浓度，防止燃烧不充分引起中毒。"),
    "interlock_shutoff_wired": _l("报警时经有线连接联动关闭燃气切断阀。"),
    "interlock_shutoff_wireless": _l("报警时经无线连接联动关闭燃气切断阀。"),
    "passive_identifier": _l("带有工业互联网标识载体（如二维码、RFID 标签），可被扫描识别设备身份。"),
    "active_identifier": _l("内置工业互联网标识载体（如安全芯片、模组），可主动向平台报送设备身份。"),
    "status_collection": _l("采集报警装置自身的运行状态（正常、故障、报警等）。"),
    "valve_state_collection": _l("采集切断阀或自闭阀的开、闭状态。"),
    "concentration_collection": _l("采集并上报泄漏气体的浓度数值。"),
    "transmission_wired": _l("经有线网络将报警信息接入报警系统监测管理平台。"),
    "transmission_wireless": _l("经无线网络（如 NB-IoT、4G）将报警信息接入报警系统监测管理平台。"),
    "notify_phone": _l("报警时通过电话或短信告知用户。"),
    "notify_wechat": _l("报警时通过微信告知用户。"),
    "notify_app": _l("报警时通过手机 APP 告知用户。"),
    "overpressure_close": _l("管道压力超过设定值时自动关闭。"),
    "underpressure_close": _l("管道压力低于设定值（如停气）时自动关闭。"),
    "overflow_close": _l("流量异常增大（如胶管脱落）时自动关闭。"),
    "no_external_power_close": _l("关闭动作不依赖电源等外部动力。"),
    "manual_reset": _l("关闭后须人工确认安全并手动开启，不会自动恢复供气。"),
}
#: The feature vocabulary of SPEC section 5, in the order forms show it.
FEATURES = tuple(FEATURE_LABELS)
#: Features that make sense per device type (for form checklists; declaring others is not an error).
FEATURES_BY_DEVICE_TYPE = {
    "leak_alarm": (
        "methane_detection", "co_detection", "interlock_shutoff_wired", "interlock_shutoff_wireless",
        "passive_identifier", "active_identifier", "status_collection", "valve_state_collection",
        "concentration_collection", "transmission_wired", "transmission_wireless", "notify_phone",
        "notify_wechat", "notify_app",
    ),
    "self_closing_valve": (
        "overpressure_close", "underpressure_close", "overflow_close", "no_external_power_close",
        "manual_reset", "passive_identifier", "active_identifier", "valve_state_collection",
        "transmission_wired", "transmission_wireless", "notify_phone", "notify_wechat", "notify_app",
    ),
}
SMART_FEATURES = frozenset({"transmission_wired", "transmission_wireless"})

CERTIFICATE_KIND_LABELS = {k.value: k.title for k in CertificateKind}
CERTIFICATE_KINDS = tuple(CERTIFICATE_KIND_LABELS)
#: States of the national certification register; only `valid` counts as valid.
CERTIFICATE_STATUSES = tuple(s.value for s in CertificateStatus)

MAX_ITEMS = 50
MAX_TEXT = 200
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DeclarationError(DomainError):
    """A malformed declaration; `field` names the offending input, e.g. `certificates[0].valid_until`."""

    def __init__(self, message: str, *, field: str | None) -> None:
        super().__init__(message, field=field, code="invalid_field")


@dataclass(frozen=True)
class CertificateDeclaration:
    """One declared certificate; `status` is its state in the national register."""

    kind: str
    valid_until: date
    number: str | None = None
    issuer: str | None = None
    valid_from: date | None = None
    status: str = "valid"

    def is_valid_on(self, day: date) -> bool:
        """Valid in the register and within its dates, both ends included."""
        return (self.status == "valid" and day <= self.valid_until
                and (self.valid_from is None or self.valid_from <= day))


@dataclass(frozen=True)
class TierDeclaration:
    """A product declaration as the validator sees it."""

    device_type: str
    tier: str
    usage: str | None = None
    features: frozenset[str] = field(default_factory=frozenset)
    standards: tuple[str, ...] = ()
    certificates: tuple[CertificateDeclaration, ...] = ()
    as_of: date | None = None

    def __post_init__(self) -> None:
        # Enum members (catalog.models) are accepted and stored as their plain string values.
        object.__setattr__(self, "device_type", _plain(self.device_type))
        object.__setattr__(self, "tier", _plain(self.tier))
        object.__setattr__(self, "usage", _plain(self.usage) if self.usage is not None else None)
        object.__setattr__(self, "features", frozenset(_plain(f) for f in self.features))
        object.__setattr__(self, "standards", tuple(self.standards))
        object.__setattr__(self, "certificates", tuple(self.certificates))
        _check_choice(self.device_type, DEVICE_TYPES, "device_type")
        _check_usage(self.device_type, self.usage)
        _check_choice(self.tier, TIERS, "tier")
        for feature in sorted(self.features):
            _check_choice(feature, FEATURES, "features")
        for index, cert in enumerate(self.certificates):
            _check_choice(_plain(cert.kind), CERTIFICATE_KINDS, f"certificates[{index}].kind")
            _check_choice(_plain(cert.status), CERTIFICATE_STATUSES, f"certificates[{index}].status")


def parse_declaration(data: object) -> TierDeclaration:
    """Build a declaration from decoded JSON, or raise DeclarationError naming the first bad field."""
    if not isinstance(data, dict):
        raise DeclarationError(_("请求体须为 JSON 对象。"), field="body")
    device_type = _required_text(data, "device_type")
    _check_choice(device_type, DEVICE_TYPES, "device_type")
    usage = data.get("usage")
    if usage is not None:
        usage = _text(usage, "usage")
    _check_usage(device_type, usage)
    tier = _required_text(data, "tier")
    _check_choice(tier, TIERS, "tier")
    features = _text_list(data, "features")
    for index, feature in enumerate(features):
        _check_choice(feature, FEATURES, f"features[{index}]")
    standards = _text_list(data, "standards")
    certificates = tuple(_certificate(item, f"certificates[{index}]")
                         for index, item in enumerate(_list(data, "certificates")))
    as_of = parse_date(data["as_of"], "as_of") if data.get("as_of") is not None else None
    return TierDeclaration(device_type=device_type, usage=usage, tier=tier, features=frozenset(features),
                           standards=tuple(standards), certificates=certificates, as_of=as_of)


def parse_date(value: object, name: str) -> date:
    """A strict ISO date (YYYY-MM-DD) or DeclarationError."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise DeclarationError(_("%(field)s 须为 YYYY-MM-DD 格式的有效日期。", field=name), field=name)


def _certificate(item: object, name: str) -> CertificateDeclaration:
    if not isinstance(item, dict):
        raise DeclarationError(_("%(field)s 须为 JSON 对象。", field=name), field=name)
    kind = _required_text(item, "kind", name)
    _check_choice(kind, CERTIFICATE_KINDS, f"{name}.kind")
    if item.get("valid_until") is None:
        until = f"{name}.valid_until"
        raise DeclarationError(_("缺少必填字段 %(field)s。", field=until), field=until)
    valid_until = parse_date(item["valid_until"], f"{name}.valid_until")
    valid_from = (parse_date(item["valid_from"], f"{name}.valid_from")
                  if item.get("valid_from") is not None else None)
    status = _text(item["status"], f"{name}.status") if item.get("status") is not None else "valid"
    _check_choice(status, CERTIFICATE_STATUSES, f"{name}.status")
    number = _text(item["number"], f"{name}.number") if item.get("number") is not None else None
    issuer = _text(item["issuer"], f"{name}.issuer") if item.get("issuer") is not None else None
    return CertificateDeclaration(kind=kind, valid_until=valid_until, valid_from=valid_from, status=status,
                                  number=number, issuer=issuer)


def _plain(value: object) -> object:
    return value.value if hasattr(value, "value") and isinstance(value, str) else value


def _check_choice(value: object, choices: tuple[str, ...], name: str) -> None:
    if value not in choices:
        raise DeclarationError(
            _("%(field)s 的取值“%(value)s”无效；可选值：%(choices)s。",
              field=name, value=_shorten(value), choices=", ".join(choices)),
            field=name,
        )


def _check_usage(device_type: str, usage: object) -> None:
    if device_type == "leak_alarm":
        if usage is None:
            raise DeclarationError(_("报警装置须填写用途 usage（household 或 commercial）。"),
                                   field="usage")
        _check_choice(usage, USAGES, "usage")
    elif usage is not None:
        raise DeclarationError(_("用途 usage 仅适用于报警装置，安全自闭阀不应填写。"), field="usage")


def _required_text(data: dict, key: str, prefix: str | None = None) -> str:
    name = f"{prefix}.{key}" if prefix else key
    if data.get(key) is None:
        raise DeclarationError(_("缺少必填字段 %(field)s。", field=name), field=name)
    return _text(data[key], name)


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise DeclarationError(_("%(field)s 须为字符串。", field=name), field=name)
    if len(value) > MAX_TEXT:
        raise DeclarationError(_("%(field)s 过长（最多 %(max)d 个字符）。", field=name, max=MAX_TEXT),
                                 field=name)
    return value


def _list(data: dict, key: str) -> list:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise DeclarationError(_("%(field)s 须为列表。", field=key), field=key)
    if len(value) > MAX_ITEMS:
        raise DeclarationError(_("%(field)s 最多 %(max)d 项。", field=key, max=MAX_ITEMS), field=key)
    return value


def _text_list(data: dict, key: str) -> list[str]:
    return [_text(item, f"{key}[{index}]") for index, item in enumerate(_list(data, key))]


def _shorten(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


#: A declaration is a few hundred bytes; anything much larger is refused before decoding.
MAX_BODY_BYTES = 64 * 1024


def decode_json_body(req) -> object:
    """The request body decoded as JSON whatever its content type; DeclarationError when it is not JSON.

    Never raises anything else: oversized, undecodable, non-UTF-8, deeply nested or huge-number bodies
    are all answered as malformed input.
    """
    if req.content_length is not None and req.content_length > MAX_BODY_BYTES:
        raise DeclarationError(_("请求体过大（最多 %(max)d 字节）。", max=MAX_BODY_BYTES), field="body")
    raw = req.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        raise DeclarationError(_("请求体过大（最多 %(max)d 字节）。", max=MAX_BODY_BYTES), field="body")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise DeclarationError(_("请求体不是有效的 JSON。"), field="body") from None


def _reject_constant(name: str) -> object:
    raise ValueError(name)  # NaN and Infinity are not JSON
