"""The 附件3 tier validator (SPEC section 5): a pure function over a product declaration.

No database, no request: `validate()` takes a declaration (a dict in the JSON shape of the contract, or a
`TierDeclaration`) and returns the verdict. Messages are translated when `validate()` runs, in the active
locale; `RULES` keeps them lazy so that a page can list the rules in its own locale.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from babel.lists import format_list
from flask_babel import get_locale

from catalog.validation_input import (
    CERTIFICATE_KIND_LABELS,
    CERTIFICATE_KINDS,
    CERTIFICATE_STATUSES,
    DEVICE_TYPES,
    FEATURE_HELP,
    FEATURE_LABELS,
    FEATURES,
    FEATURES_BY_DEVICE_TYPE,
    SMART_FEATURES,
    TIERS,
    USAGES,
    CertificateDeclaration,
    DeclarationError,
    TierDeclaration,
    parse_declaration,
)
from catalog.vocabulary import Usage
from core.clock import today_shanghai
from core.i18n import N_, _, _l, list_node, message_node, render_node

__all__ = [
    "CERTIFICATE_KINDS", "CERTIFICATE_KIND_LABELS", "CERTIFICATE_STATUSES", "DEVICE_TYPES",
    "EXPIRY_WARNING_DAYS", "FEATURES", "FEATURE_HELP", "FEATURE_LABELS", "FEATURES_BY_DEVICE_TYPE",
    "REQUIRED_STANDARDS", "RULES", "RULES_BY_ID",
    "TIERS", "USAGES", "CertificateDeclaration", "DeclarationError", "Rule", "TierDeclaration",
    "declaration_from_product", "highest_tier", "is_smart", "normalise_standard", "plain_message", "rule_label",
    "rules_for", "validate",
]

#: A certificate valid on `as_of` whose valid_until is at most this many days later gets a warning.
EXPIRY_WARNING_DAYS = 60
ALARM_CERTIFICATES = ("pattern_approval", "explosion_proof", "fire_product")
#: Standards a declaration must name, by device type and usage (compared with normalise_standard).
REQUIRED_STANDARDS = {
    ("leak_alarm", "household"): ("GB 15322.2", "GB 50058", "GB 16838"),
    ("leak_alarm", "commercial"): ("GB 15322.1", "GB 50058", "GB 16838"),
    ("self_closing_valve", None): ("CJ/T 447",),
}
NOTIFY = ("notify_phone", "notify_wechat", "notify_app")
TRANSMISSION = ("transmission_wired", "transmission_wireless")
ALL_TIERS = frozenset(TIERS)
MID_UP = frozenset({"mid", "high"})

_EDITION = re.compile(r"[-‐‑–—]\s*\d{2,4}$")


def normalise_standard(code: str) -> str:
    """`GB/T 16838-2021` → `GB16838`: no spaces, upper case, no `/T` mark, no edition year."""
    text = unicodedata.normalize("NFKC", code).upper()
    text = re.sub(r"\s+", "", text)
    text = _EDITION.sub("", text)
    return text.replace("/T", "")


def is_smart(features: Iterable[str]) -> bool:
    """A smart product has data transmission (wired or wireless)."""
    return any(str(f) in SMART_FEATURES for f in features)


# --- the rule table -------------------------------------------------------------------------------------

#: A check returns what is missing (empty when the rule is met).
Check = Callable[[TierDeclaration, date], list[str]]


@dataclass(frozen=True)
class Rule:
    """One row of the SPEC section 5 table; `message` is a lazy template with `%(missing)s`."""

    id: str
    device_type: str
    tiers: frozenset[str]
    source: str
    requirement: object
    message: object
    check: Check
    #: "all" lists every missing item, "any" means one of the items would do.
    mode: str = "all"

    def applies_to(self, declaration: TierDeclaration, tier: str | None = None) -> bool:
        return self.device_type == declaration.device_type and (tier or declaration.tier) in self.tiers


def _all_of(*features: str) -> Check:
    return lambda d, _day: [f for f in features if f not in d.features]


def _any_of(*features: str) -> Check:
    return lambda d, _day: [] if any(f in d.features for f in features) else list(features)


def _certificates_missing(declaration: TierDeclaration, day: date) -> list[str]:
    return [kind for kind in ALARM_CERTIFICATES
            if not any(c.kind == kind and c.is_valid_on(day) for c in declaration.certificates)]


def _standards_missing(declaration: TierDeclaration, _day: date) -> list[str]:
    declared = {normalise_standard(s) for s in declaration.standards}
    required = REQUIRED_STANDARDS[(declaration.device_type, declaration.usage)]
    return [s for s in required if normalise_standard(s) not in declared]


ALARM, VALVE = "leak_alarm", "self_closing_valve"
RULES: tuple[Rule, ...] = (
    Rule("alarm.certificates", ALARM, ALL_TIERS, "附件3 一、1",
         _l("计量器具型式批准证书、防爆合格证和消防产品认证证书，均在核验日有效"),
         _l("报警装置须持有在 %(date)s 有效的计量器具型式批准证书、防爆合格证和消防产品认证证书（CCC）；"
            "请补充或更新：%(missing)s。"),
         _certificates_missing),
    Rule("alarm.standards", ALARM, ALL_TIERS, "附件3 一、2",
         _l("符合 GB 15322.2（家用）或 GB 15322.1（商用），以及 GB 50058 和 GB 16838"),
         _l("%(usage)s报警装置须声明符合 %(required)s；请补充：%(missing)s。"),
         _standards_missing),
    Rule("alarm.methane", ALARM, ALL_TIERS, "附件3 一、3", _l("甲烷浓度检测"),
         _l("报警装置须具备甲烷浓度检测功能（methane_detection）。"), _all_of("methane_detection")),
    Rule("alarm.co", ALARM, MID_UP, "附件3 一、3", _l("一氧化碳浓度检测（中档及以上）"),
         _l("中档及以上报警装置须具备一氧化碳浓度检测功能（co_detection）。"), _all_of("co_detection")),
    Rule("alarm.interlock", ALARM, MID_UP, "附件3 一、4", _l("有线或无线联动切断（中档及以上）"),
         _l("中档及以上报警装置须具备有线或无线联动切断功能；请补充其一：%(missing)s。"),
         _any_of("interlock_shutoff_wired", "interlock_shutoff_wireless"), "any"),
    Rule("alarm.passive_id", ALARM, ALL_TIERS, "附件3 一、5", _l("工业互联网被动标识"),
         _l("报警装置须具备工业互联网被动标识功能（passive_identifier）。"), _all_of("passive_identifier")),
    Rule("alarm.active_id", ALARM, MID_UP, "附件3 一、5", _l("工业互联网主动标识（中档及以上）"),
         _l("中档及以上报警装置须具备工业互联网主动标识功能（active_identifier）。"),
         _all_of("active_identifier")),
    Rule("alarm.data_collection", ALARM, ALL_TIERS, "附件3 一、6",
         _l("运行状态、切断阀开闭状态和泄漏气体浓度数据采集"),
         _l("报警装置须具备运行状态、切断阀开闭状态及泄漏气体浓度数据采集功能；请补充：%(missing)s。"),
         _all_of("status_collection", "valve_state_collection", "concentration_collection")),
    Rule("alarm.transmission", ALARM, ALL_TIERS, "附件3 一、7", _l("有线或无线数据传输"),
         _l("报警装置须具备有线或无线数据传输功能，将报警信息接入监测管理平台；请补充其一：%(missing)s。"),
         _any_of(*TRANSMISSION), "any"),
    Rule("alarm.user_notify", ALARM, MID_UP, "附件3 一、7", _l("通过电话、微信或 APP 告知用户（中档及以上）"),
         _l("中档及以上报警装置须能通过电话、微信或 APP 告知用户；请补充其一：%(missing)s。"),
         _any_of(*NOTIFY), "any"),
    Rule("valve.auto_close", VALVE, ALL_TIERS, "附件3 二", _l("超压、欠压、过流自动关闭"),
         _l("安全自闭阀须具备超压、欠压和过流自动关闭功能；请补充：%(missing)s。"),
         _all_of("overpressure_close", "underpressure_close", "overflow_close")),
    Rule("valve.no_external_power", VALVE, ALL_TIERS, "附件3 二", _l("关闭时不借助外部动力"),
         _l("安全自闭阀关闭时须不借助外部动力（no_external_power_close）。"),
         _all_of("no_external_power_close")),
    Rule("valve.manual_reset", VALVE, ALL_TIERS, "附件3 二", _l("关闭后须手动开启"),
         _l("安全自闭阀关闭后须手动开启（manual_reset）。"), _all_of("manual_reset")),
    Rule("valve.standard", VALVE, ALL_TIERS, "附件3 二、1", _l("符合 CJ/T 447《管道燃气自闭阀》"),
         _l("安全自闭阀须声明符合 CJ/T 447《管道燃气自闭阀》。"), _standards_missing),
    Rule("valve.passive_id", VALVE, ALL_TIERS, "附件3 二、2", _l("工业互联网被动标识"),
         _l("安全自闭阀须具备工业互联网被动标识功能（passive_identifier）。"), _all_of("passive_identifier")),
    Rule("valve.active_id", VALVE, MID_UP, "附件3 二、2", _l("工业互联网主动标识（中档及以上）"),
         _l("中档及以上安全自闭阀须具备工业互联网主动标识功能（active_identifier）。"),
         _all_of("active_identifier")),
    Rule("valve.state_collection", VALVE, MID_UP, "附件3 二、3", _l("阀门开闭状态数据采集（中档及以上）"),
         _l("中档及以上安全自闭阀须具备阀门开闭状态数据采集功能（valve_state_collection）。"),
         _all_of("valve_state_collection")),
    Rule("valve.transmission", VALVE, MID_UP, "附件3 二、4", _l("有线或无线数据传输（中档及以上）"),
         _l("中档及以上安全自闭阀须具备有线或无线数据传输功能；请补充其一：%(missing)s。"),
         _any_of(*TRANSMISSION), "any"),
    Rule("valve.user_notify", VALVE, MID_UP, "附件3 二、4", _l("通过电话、微信或 APP 告知用户（中档及以上）"),
         _l("中档及以上安全自闭阀须能通过电话、微信或 APP 告知用户；请补充其一：%(missing)s。"),
         _any_of(*NOTIFY), "any"),
)
RULES_BY_ID = {rule.id: rule for rule in RULES}


#: What a page calls a rule or warning id that is not a row of RULES (the rule's own `requirement` otherwise).
OTHER_RULE_LABELS = {
    "catalog.authorisation": _l("生产厂家授权书"),
    "certificate.expiring": _l("证书即将到期"),
    "valve.test_report": _l("型式检验报告"),
}
_CODE_ASIDE = re.compile(r"\s*[（(][a-z][a-z0-9]*(?:_[a-z0-9]+)+[)）]")


def rule_label(rule_id: str) -> str:
    """A rule or warning id (`alarm.co`) as words a supplier or official reads, in the active locale."""
    rule = RULES_BY_ID.get(rule_id)
    label = rule.requirement if rule is not None else OTHER_RULE_LABELS.get(rule_id)
    return str(label) if label is not None else _("其他要求")


def plain_message(message: str | None) -> str:
    """A verdict message without the vocabulary codes it names for API clients: `…（co_detection）。` → `…。`."""
    return _CODE_ASIDE.sub("", message or "")


def highest_tier(declaration: TierDeclaration, as_of: date, *, ignore: Iterable[str] = ()) -> str | None:
    """The highest tier whose rules the declaration meets, leaving out the rules in `ignore`."""
    skipped = set(ignore)
    best = None
    for tier in TIERS:
        if any(rule.check(declaration, as_of) for rule in rules_for(declaration.device_type, tier)
               if rule.id not in skipped):
            break
        best = tier
    return best


def rules_for(device_type: str, tier: str) -> list[Rule]:
    """The rules a product of this device type and tier must meet, in table order."""
    return [r for r in RULES if r.device_type == device_type and tier in r.tiers]


# --- the validator --------------------------------------------------------------------------------------


def validate(declaration: dict | TierDeclaration, as_of: date | None = None) -> dict:
    """The SPEC section 5 verdict. `as_of`: this argument, else the declaration's, else today (Shanghai).

    A dict is parsed strictly first (DeclarationError, a DomainError with `field`, when malformed).
    """
    if not isinstance(declaration, TierDeclaration):
        declaration = parse_declaration(declaration)
    day = as_of or declaration.as_of or today_shanghai()
    missing = {rule.id: rule.check(declaration, day) for rule in RULES
               if rule.device_type == declaration.device_type}
    violations = [
        {"rule": rule.id, "source": rule.source,
         "message": _message(rule, declaration, missing[rule.id], day)}
        for rule in rules_for(declaration.device_type, declaration.tier) if missing[rule.id]
    ]
    qualifies_for = None
    for tier in TIERS:
        if any(missing[rule.id] for rule in rules_for(declaration.device_type, tier)):
            break
        qualifies_for = tier
    return {"valid": not violations, "device_type": declaration.device_type, "tier": declaration.tier,
            "qualifies_for": qualifies_for, "violations": violations, "warnings": _warnings(declaration, day)}


def _message(rule: Rule, declaration: TierDeclaration, missing: list[str], day: date) -> str:
    return render_node(violation_node(rule, declaration, missing, day))


def violation_node(rule: Rule, declaration: TierDeclaration, missing: list[str], day: date) -> dict:
    """A violation's message as message ids with parameters (stored, and shown in the reader's language)."""
    style = "or" if rule.mode == "any" else "standard"
    params = {"missing": list_node([_item(rule, m) for m in missing], style), "date": day.isoformat()}
    if rule.id == "alarm.standards":
        params["usage"] = message_node(Usage(declaration.usage).title)
        params["required"] = list_node(REQUIRED_STANDARDS[(declaration.device_type, declaration.usage)])
    node = message_node(rule.message, **params)
    hint = _wrong_usage_hint(declaration) if rule.id == "alarm.standards" else None
    return {"join": [node, message_node(hint)], "sep": ""} if hint else node


def violation_nodes(declaration: TierDeclaration, as_of: date) -> list[dict]:
    """The message nodes of the declaration's violations (what `validate` reports, before rendering)."""
    missing = {rule.id: rule.check(declaration, as_of) for rule in RULES if rule.device_type == declaration.device_type}
    return [violation_node(rule, declaration, missing[rule.id], as_of)
            for rule in rules_for(declaration.device_type, declaration.tier) if missing[rule.id]]


def _item(rule: Rule, code: str):
    if rule.id in ("alarm.standards", "valve.standard"):
        return code
    label = CERTIFICATE_KIND_LABELS.get(code) or FEATURE_LABELS[code]
    return message_node(N_("%(label)s（%(code)s）"), label=message_node(label), code=code)


def _wrong_usage_hint(declaration: TierDeclaration) -> str | None:
    declared = {normalise_standard(s) for s in declaration.standards}
    if declaration.usage == "household" and "GB15322.1" in declared:
        return N_("GB 15322.1 适用于工业及商业用途，家用报警装置应符合 GB 15322.2。")
    if declaration.usage == "commercial" and "GB15322.2" in declared:
        return N_("GB 15322.2 适用于家用，商用报警装置应符合 GB 15322.1。")
    return None


def _list_of(items: list[str], style: str = "standard") -> str:
    if not items:
        return ""
    return format_list(items, style=style, locale=get_locale() or "zh_CN")


def _warnings(declaration: TierDeclaration, day: date) -> list[dict]:
    warnings = []
    for kind in CERTIFICATE_KINDS:
        valid = [c for c in declaration.certificates if c.kind == kind and c.is_valid_on(day)]
        if not valid:
            continue
        best = max(valid, key=lambda c: c.valid_until)  # a renewal already on file silences the warning
        days_left = (best.valid_until - day).days
        if days_left <= EXPIRY_WARNING_DAYS:
            warnings.append({"rule": "certificate.expiring", "message": _expiring_message(best, days_left)})
    if declaration.device_type == VALVE and not any(
            c.kind == "type_test_report" and c.is_valid_on(day) for c in declaration.certificates):
        warnings.append({"rule": "valve.test_report", "message": _(
            "未提供有效的型式检验报告（type_test_report）；建议上传，以证明安全自闭阀符合 CJ/T 447。")})
    return warnings


def _expiring_message(cert: CertificateDeclaration, days_left: int) -> str:
    params = {"kind": str(CERTIFICATE_KIND_LABELS[cert.kind]), "number": cert.number or "",
              "date": cert.valid_until.isoformat(), "days": days_left}
    if cert.number:
        return _("%(kind)s %(number)s 将于 %(date)s 到期（还剩 %(days)d 天），请及时续证并上传新证书。",
                 **params)
    return _("%(kind)s将于 %(date)s 到期（还剩 %(days)d 天），请及时续证并上传新证书。", **params)


# --- from a stored product ------------------------------------------------------------------------------


def declaration_from_product(product, as_of: date | None = None) -> TierDeclaration:
    """The declaration of a `catalog.models.Product` and its certificates.

    Every certificate is included with its register status; only status `valid` counts as valid, so a
    suspended, revoked, cancelled or expired certificate never satisfies a rule.
    """
    certificates = tuple(
        CertificateDeclaration(kind=str(c.kind), valid_until=c.valid_until, number=c.number, issuer=c.issuer,
                               valid_from=c.valid_from, status=str(c.status or "valid"))
        for c in product.certificates if c.valid_until is not None
    )
    return TierDeclaration(
        device_type=str(product.device_type), tier=str(product.tier),
        usage=str(product.usage) if product.usage is not None else None,
        features=frozenset(str(f) for f in (product.features or ())),
        standards=tuple(str(s) for s in (product.standards or ())),
        certificates=certificates, as_of=as_of,
    )
