"""The 附件3 tier validator (SPEC section 5), rule by rule and boundary by boundary."""

from __future__ import annotations

import copy
import io
from datetime import date, timedelta

import flask_babel
import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.support import NullTranslations, Translations

from catalog import models, tiers
from catalog.tiers import DeclarationError, normalise_standard, validate

AS_OF = date(2026, 11, 28)

#: The example input of SPEC section 5.
SPEC_EXAMPLE = {
    "device_type": "leak_alarm", "usage": "household", "tier": "mid",
    "features": ["methane_detection", "co_detection", "interlock_shutoff_wireless",
                 "passive_identifier", "active_identifier", "status_collection",
                 "valve_state_collection", "concentration_collection",
                 "transmission_wireless", "notify_app"],
    "standards": ["GB 15322.2", "GB 50058", "GB 16838"],
    "certificates": [{"kind": "pattern_approval", "number": "...", "valid_until": "2027-05-31"},
                     {"kind": "explosion_proof", "number": "...", "valid_until": "2026-12-31"},
                     {"kind": "fire_product", "number": "...", "valid_until": "2027-01-31"}],
    "as_of": "2026-11-28",
}

VALVE = {
    "device_type": "self_closing_valve", "tier": "mid",
    "features": ["overpressure_close", "underpressure_close", "overflow_close", "no_external_power_close",
                 "manual_reset", "passive_identifier", "active_identifier", "valve_state_collection",
                 "transmission_wired", "notify_wechat"],
    "standards": ["CJ/T 447-2014"],
    "certificates": [{"kind": "type_test_report", "number": "T-1", "valid_until": "2029-01-01"}],
    "as_of": "2026-11-28",
}

#: The rule table of SPEC section 5: id -> (device type, tiers, source).
SPEC_RULES = {
    "alarm.certificates": ("leak_alarm", "all", "附件3 一、1"),
    "alarm.standards": ("leak_alarm", "all", "附件3 一、2"),
    "alarm.methane": ("leak_alarm", "all", "附件3 一、3"),
    "alarm.co": ("leak_alarm", "mid+", "附件3 一、3"),
    "alarm.interlock": ("leak_alarm", "mid+", "附件3 一、4"),
    "alarm.passive_id": ("leak_alarm", "all", "附件3 一、5"),
    "alarm.active_id": ("leak_alarm", "mid+", "附件3 一、5"),
    "alarm.data_collection": ("leak_alarm", "all", "附件3 一、6"),
    "alarm.transmission": ("leak_alarm", "all", "附件3 一、7"),
    "alarm.user_notify": ("leak_alarm", "mid+", "附件3 一、7"),
    "valve.auto_close": ("self_closing_valve", "all", "附件3 二"),
    "valve.no_external_power": ("self_closing_valve", "all", "附件3 二"),
    "valve.manual_reset": ("self_closing_valve", "all", "附件3 二"),
    "valve.standard": ("self_closing_valve", "all", "附件3 二、1"),
    "valve.passive_id": ("self_closing_valve", "all", "附件3 二、2"),
    "valve.active_id": ("self_closing_valve", "mid+", "附件3 二、2"),
    "valve.state_collection": ("self_closing_valve", "mid+", "附件3 二、3"),
    "valve.transmission": ("self_closing_valve", "mid+", "附件3 二、4"),
    "valve.user_notify": ("self_closing_valve", "mid+", "附件3 二、4"),
}


def alarm(**changes) -> dict:
    data = copy.deepcopy(SPEC_EXAMPLE)
    data.update(changes)
    return data


def valve(**changes) -> dict:
    data = copy.deepcopy(VALVE)
    data.update(changes)
    return data


def without(data: dict, *features: str) -> dict:
    data = copy.deepcopy(data)
    data["features"] = [f for f in data["features"] if f not in features]
    return data


def rule_ids(verdict: dict) -> list[str]:
    return [v["rule"] for v in verdict["violations"]]


def warning_ids(verdict: dict) -> list[str]:
    return [w["rule"] for w in verdict["warnings"]]


# --- the contract's shape and the rule table ------------------------------------------------------------


def test_spec_example_is_valid_with_the_contract_shape():
    verdict = validate(SPEC_EXAMPLE)
    assert set(verdict) == {"valid", "device_type", "tier", "qualifies_for", "violations", "warnings"}
    assert verdict["valid"] is True
    assert (verdict["device_type"], verdict["tier"], verdict["violations"]) == ("leak_alarm", "mid", [])
    assert verdict["qualifies_for"] == "high"  # mid and high share the same rules
    assert warning_ids(verdict) == ["certificate.expiring"]  # explosion_proof ends 2026-12-31: 33 days
    assert set(verdict["warnings"][0]) == {"rule", "message"}
    assert "2026-12-31" in verdict["warnings"][0]["message"]


def test_rule_table_matches_the_spec():
    table = {r.id: (r.device_type, "all" if r.tiers == {"low", "mid", "high"} else
                    "mid+" if r.tiers == {"mid", "high"} else "?", r.source) for r in tiers.RULES}
    assert table == SPEC_RULES
    assert list(tiers.RULES_BY_ID) == list(SPEC_RULES)
    assert all(str(r.requirement) and str(r.message) for r in tiers.RULES)


def test_rules_for_lists_the_rules_of_a_tier():
    assert [r.id for r in tiers.rules_for("self_closing_valve", "low")] == [
        "valve.auto_close", "valve.no_external_power", "valve.manual_reset", "valve.standard",
        "valve.passive_id"]
    assert len(tiers.rules_for("leak_alarm", "high")) == 10


def test_vocabulary_matches_the_models_and_the_spec():
    assert tiers.FEATURES == (
        "methane_detection", "co_detection", "interlock_shutoff_wired", "interlock_shutoff_wireless",
        "passive_identifier", "active_identifier", "status_collection", "valve_state_collection",
        "concentration_collection", "transmission_wired", "transmission_wireless", "notify_phone",
        "notify_wechat", "notify_app", "overpressure_close", "underpressure_close", "overflow_close",
        "no_external_power_close", "manual_reset")
    assert set(tiers.FEATURE_HELP) == set(tiers.FEATURES)
    assert all(set(fs) <= set(tiers.FEATURES) for fs in tiers.FEATURES_BY_DEVICE_TYPE.values())
    assert tiers.CERTIFICATE_KINDS == tuple(k.value for k in models.CertificateKind)
    assert tiers.CERTIFICATE_STATUSES == tuple(s.value for s in models.CertificateStatus)
    assert tiers.DEVICE_TYPES == tuple(d.value for d in models.DeviceType)
    assert tiers.TIERS == tuple(t.value for t in models.TIER_ORDER)
    assert tiers.USAGES == tuple(u.value for u in models.Usage)


# --- rule by rule: each fails alone, and passes with the full declaration ------------------------------

FAILING = [
    ("alarm.certificates", lambda: alarm(certificates=SPEC_EXAMPLE["certificates"][:2])),
    ("alarm.standards", lambda: alarm(standards=["GB 15322.2", "GB 16838"])),
    ("alarm.methane", lambda: without(SPEC_EXAMPLE, "methane_detection")),
    ("alarm.co", lambda: without(SPEC_EXAMPLE, "co_detection")),
    ("alarm.interlock", lambda: without(SPEC_EXAMPLE, "interlock_shutoff_wireless")),
    ("alarm.passive_id", lambda: without(SPEC_EXAMPLE, "passive_identifier")),
    ("alarm.active_id", lambda: without(SPEC_EXAMPLE, "active_identifier")),
    ("alarm.data_collection", lambda: without(SPEC_EXAMPLE, "concentration_collection")),
    ("alarm.transmission", lambda: without(SPEC_EXAMPLE, "transmission_wireless")),
    ("alarm.user_notify", lambda: without(SPEC_EXAMPLE, "notify_app")),
    ("valve.auto_close", lambda: without(VALVE, "underpressure_close")),
    ("valve.no_external_power", lambda: without(VALVE, "no_external_power_close")),
    ("valve.manual_reset", lambda: without(VALVE, "manual_reset")),
    ("valve.standard", lambda: valve(standards=["GB 15322.2"])),
    ("valve.passive_id", lambda: without(VALVE, "passive_identifier")),
    ("valve.active_id", lambda: without(VALVE, "active_identifier")),
    ("valve.state_collection", lambda: without(VALVE, "valve_state_collection")),
    ("valve.transmission", lambda: without(VALVE, "transmission_wired")),
    ("valve.user_notify", lambda: without(VALVE, "notify_wechat")),
]


def test_every_rule_has_a_failing_case():
    assert [rule for rule, _ in FAILING] == list(SPEC_RULES)


@pytest.mark.parametrize(("rule", "make"), FAILING, ids=[r for r, _ in FAILING])
def test_rule_fails_alone_with_its_source_and_a_message(rule, make):
    verdict = validate(make())
    assert verdict["valid"] is False
    assert rule_ids(verdict) == [rule]
    violation = verdict["violations"][0]
    assert set(violation) == {"rule", "source", "message"}
    assert violation["source"] == SPEC_RULES[rule][2]
    assert violation["message"].endswith("。")


@pytest.mark.parametrize("rule", list(SPEC_RULES))
def test_rule_passes_with_the_full_declaration(rule):
    base = SPEC_EXAMPLE if rule.startswith("alarm.") else VALVE
    verdict = validate(base)
    assert rule not in rule_ids(verdict)
    assert verdict["valid"] is True


@pytest.mark.parametrize("rule", [r for r, spec in SPEC_RULES.items() if spec[1] == "mid+"])
def test_mid_tier_rule_is_not_required_of_a_low_tier_product(rule):
    make = dict(FAILING)[rule]
    verdict = validate({**make(), "tier": "low"})
    assert verdict["valid"] is True and verdict["qualifies_for"] == "low"


@pytest.mark.parametrize(("rule", "expected"), [
    ("alarm.co", "中档及以上报警装置须具备一氧化碳浓度检测功能（co_detection）。"),
    ("alarm.data_collection", "concentration_collection"),
    ("alarm.certificates", "fire_product"),
    ("alarm.standards", "GB 50058"),
    ("valve.auto_close", "underpressure_close"),
    ("valve.standard", "CJ/T 447"),
    ("valve.user_notify", "notify_phone"),
])
def test_messages_tell_the_supplier_what_to_add(rule, expected):
    message = validate(dict(FAILING)[rule]())["violations"][0]["message"]
    assert expected in message


def test_all_missing_items_are_named_in_one_violation():
    verdict = validate(without(SPEC_EXAMPLE, "status_collection", "concentration_collection"))
    assert rule_ids(verdict) == ["alarm.data_collection"]
    message = verdict["violations"][0]["message"]
    assert "status_collection" in message and "concentration_collection" in message
    assert "（valve_state_collection）" not in message


def test_every_problem_is_reported_at_once():
    verdict = validate({"device_type": "leak_alarm", "usage": "household", "tier": "high",
                        "as_of": "2026-11-28"})
    assert rule_ids(verdict) == [r for r, spec in SPEC_RULES.items() if spec[0] == "leak_alarm"]
    assert verdict["qualifies_for"] is None


# --- qualifies_for ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "qualifies_for", "valid"), [
    (alarm(tier="low"), "high", True),
    (alarm(tier="high"), "high", True),
    (without(alarm(tier="high"), "co_detection"), "low", False),
    (without(alarm(tier="low"), "co_detection"), "low", True),
    (without(alarm(tier="low"), "methane_detection"), None, False),
    (without(alarm(tier="high"), "passive_identifier"), None, False),
    (valve(tier="low"), "high", True),
    (valve(tier="high"), "high", True),
    (without(valve(tier="high"), "notify_wechat"), "low", False),
    (without(valve(tier="low"), "manual_reset"), None, False),
], ids=["alarm-low-full", "alarm-high-full", "alarm-high-no-co", "alarm-low-no-co", "alarm-no-methane",
        "alarm-no-passive-id", "valve-low-full", "valve-high-full", "valve-high-no-notify", "valve-no-reset"])
def test_qualifies_for_is_the_highest_tier_met(data, qualifies_for, valid):
    verdict = validate(data)
    assert verdict["qualifies_for"] == qualifies_for
    assert verdict["valid"] is valid
    assert verdict["valid"] == (verdict["violations"] == [])


def test_low_tier_valve_without_active_identifier_passes():
    verdict = validate(without(valve(tier="low"), "active_identifier"))
    assert verdict["valid"] is True and verdict["qualifies_for"] == "low"


def test_mid_tier_valve_without_active_identifier_fails_and_qualifies_for_low():
    verdict = validate(without(VALVE, "active_identifier"))
    assert rule_ids(verdict) == ["valve.active_id"]
    assert verdict["qualifies_for"] == "low"


def test_low_tier_valve_needs_none_of_the_smart_features():
    data = without(valve(tier="low"), "active_identifier", "valve_state_collection", "transmission_wired",
                   "notify_wechat")
    assert validate(data)["valid"] is True


# --- boundaries -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("interlock", ["interlock_shutoff_wired", "interlock_shutoff_wireless"])
def test_mid_tier_alarm_with_one_interlock_passes(interlock):
    data = without(SPEC_EXAMPLE, "interlock_shutoff_wired", "interlock_shutoff_wireless")
    data["features"].append(interlock)
    assert "alarm.interlock" not in rule_ids(validate(data))


@pytest.mark.parametrize("notify", ["notify_phone", "notify_wechat", "notify_app"])
def test_any_one_notification_channel_passes(notify):
    data = without(SPEC_EXAMPLE, "notify_app")
    data["features"].append(notify)
    assert validate(data)["valid"] is True


def test_transmission_may_be_wired():
    data = without(SPEC_EXAMPLE, "transmission_wireless")
    data["features"].append("transmission_wired")
    assert validate(data)["valid"] is True


def test_household_alarm_declaring_the_commercial_standard_fails():
    verdict = validate(alarm(standards=["GB 15322.1-2019", "GB 50058", "GB 16838"]))
    assert rule_ids(verdict) == ["alarm.standards"]
    assert "GB 15322.2" in verdict["violations"][0]["message"]
    assert "GB 15322.1 适用于工业及商业用途" in verdict["violations"][0]["message"]


def test_commercial_alarm_with_the_commercial_standard_passes():
    standards = ["GB 15322.1-2019", "GB 50058-2014", "GB/T 16838-2021"]
    verdict = validate(alarm(usage="commercial", standards=standards))
    assert verdict["valid"] is True


def test_commercial_alarm_declaring_only_the_household_standard_fails():
    verdict = validate(alarm(usage="commercial"))
    assert rule_ids(verdict) == ["alarm.standards"]
    assert "GB 15322.1" in verdict["violations"][0]["message"]


def certificates_until(day: date, **extra) -> list[dict]:
    return [{"kind": kind, "number": f"N-{kind}", "valid_until": day.isoformat(), **extra}
            for kind in ("pattern_approval", "explosion_proof", "fire_product")]


def test_certificate_is_valid_on_its_last_day():
    verdict = validate(alarm(certificates=certificates_until(AS_OF)))
    assert verdict["valid"] is True
    assert warning_ids(verdict) == ["certificate.expiring"] * 3
    assert "0" in verdict["warnings"][0]["message"]


def test_certificate_is_expired_the_day_after():
    verdict = validate(alarm(certificates=certificates_until(AS_OF - timedelta(days=1))))
    assert rule_ids(verdict) == ["alarm.certificates"]
    assert verdict["qualifies_for"] is None
    assert verdict["warnings"] == []


def test_certificate_not_yet_valid_does_not_count():
    certs = certificates_until(date(2028, 1, 1), valid_from="2026-11-29")
    assert rule_ids(validate(alarm(certificates=certs))) == ["alarm.certificates"]
    certs = certificates_until(date(2028, 1, 1), valid_from="2026-11-28")
    assert validate(alarm(certificates=certs))["valid"] is True


@pytest.mark.parametrize("status", ["suspended", "revoked", "cancelled", "expired"])
def test_certificate_not_valid_in_the_register_does_not_count(status):
    certs = certificates_until(date(2028, 1, 1))
    certs[1]["status"] = status
    verdict = validate(alarm(certificates=certs))
    assert rule_ids(verdict) == ["alarm.certificates"]
    assert "explosion_proof" in verdict["violations"][0]["message"]


@pytest.mark.parametrize(("days", "warned"), [(0, True), (1, True), (59, True), (60, True), (61, False),
                                              (365, False)])
def test_expiring_warning_within_60_days(days, warned):
    verdict = validate(alarm(certificates=certificates_until(AS_OF + timedelta(days=days))))
    assert verdict["valid"] is True
    assert warning_ids(verdict) == (["certificate.expiring"] * 3 if warned else [])


def test_a_renewal_on_file_silences_the_expiring_warning():
    certs = certificates_until(date(2028, 1, 1))
    certs.append({"kind": "explosion_proof", "number": "old", "valid_until": "2026-12-01"})
    verdict = validate(alarm(certificates=certs))
    assert verdict["warnings"] == []


def test_expiring_warning_never_blocks():
    verdict = validate(alarm(certificates=certificates_until(AS_OF + timedelta(days=5))))
    assert verdict["valid"] is True and verdict["violations"] == []
    assert "N-fire_product" in verdict["warnings"][2]["message"]


def test_valve_without_type_test_report_is_warned_not_refused():
    verdict = validate(valve(certificates=[]))
    assert verdict["valid"] is True
    assert warning_ids(verdict) == ["valve.test_report"]
    assert "type_test_report" in verdict["warnings"][0]["message"]


def test_valve_with_an_expired_type_test_report_is_warned():
    verdict = validate(valve(certificates=[{"kind": "type_test_report", "valid_until": "2026-01-01"}]))
    assert warning_ids(verdict) == ["valve.test_report"]


def test_valve_type_test_report_expiring_soon_is_warned():
    verdict = validate(valve(certificates=[{"kind": "type_test_report", "valid_until": "2026-12-01"}]))
    assert warning_ids(verdict) == ["certificate.expiring"]


def test_alarm_gets_no_test_report_warning():
    verdict = validate(alarm(certificates=certificates_until(date(2028, 1, 1))))
    assert "valve.test_report" not in warning_ids(verdict)


# --- as_of ------------------------------------------------------------------------------------------------


def test_as_of_argument_beats_the_declaration():
    data = alarm(certificates=certificates_until(date(2027, 1, 1)))
    assert validate(data)["valid"] is True
    assert rule_ids(validate(data, as_of=date(2027, 1, 2))) == ["alarm.certificates"]


def test_as_of_defaults_to_today_in_shanghai(monkeypatch):
    monkeypatch.setattr(tiers, "today_shanghai", lambda: date(2030, 1, 1))
    data = alarm(certificates=certificates_until(date(2029, 12, 31)))
    del data["as_of"]
    assert rule_ids(validate(data)) == ["alarm.certificates"]
    data["as_of"] = None
    assert rule_ids(validate(data)) == ["alarm.certificates"]


def test_today_shanghai_is_utc_plus_eight():
    from core.clock import SHANGHAI, today_shanghai

    assert SHANGHAI.utcoffset(None) == timedelta(hours=8)
    assert isinstance(today_shanghai(), date)


# --- standards normalisation ------------------------------------------------------------------------------


@pytest.mark.parametrize(("declared", "required"), [
    ("GB 15322.2-2019", "GB15322.2"),
    ("GB/T 16838-2021", "GB 16838"),
    ("gb/t16838", "GB 16838"),
    ("GB 50058—2014", "GB 50058"),
    ("GB 50058 - 2014", "GB50058"),
    ("CJ/T 447-2014", "CJ 447"),
    ("CJ447", "CJ/T 447"),
    ("cj/t 447—2014", "CJ/T 447"),
    ("ＧＢ　１６８３８－２０２１", "GB 16838"),
])
def test_standards_match_ignoring_spaces_case_recommended_mark_and_edition(declared, required):
    assert normalise_standard(declared) == normalise_standard(required)


@pytest.mark.parametrize(("declared", "required"), [
    ("GB 15322.1", "GB 15322.2"),
    ("GB 15322", "GB 15322.2"),
    ("GB 15322.2", "GB 15322"),
    ("CJ 4470", "CJ/T 447"),
])
def test_different_standards_do_not_match(declared, required):
    assert normalise_standard(declared) != normalise_standard(required)


def test_standards_with_editions_and_marks_pass_the_rules():
    assert validate(alarm(standards=["gb/t 15322.2-2019", "GB50058-2014", "GB/T16838—2021"]))["valid"] is True
    assert validate(valve(standards=["CJ 447"]))["valid"] is True
    assert validate(valve(standards=["CJ/T447-2014"]))["valid"] is True


# --- helpers: is_smart, declaration_from_product ---------------------------------------------------------


@pytest.mark.parametrize(("features", "smart"), [
    (["transmission_wired"], True), (["transmission_wireless", "notify_app"], True),
    (["notify_app", "active_identifier"], False), ([], False),
])
def test_is_smart_means_data_transmission(features, smart):
    assert tiers.is_smart(features) is smart


def make_product(status=models.CertificateStatus.valid, valid_until=date(2028, 1, 1)) -> models.Product:
    product = models.Product(device_type=models.DeviceType.leak_alarm, usage=models.Usage.household,
                             tier=models.Tier.mid, features=list(SPEC_EXAMPLE["features"]),
                             standards=["GB 15322.2-2019", "GB 50058-2014", "GB/T 16838-2021"])
    for kind in ("pattern_approval", "explosion_proof", "fire_product"):
        product.certificates.append(models.Certificate(
            kind=models.CertificateKind(kind), number=f"C-{kind}", issuer="CQC", valid_until=valid_until,
            status=status if kind == "fire_product" else models.CertificateStatus.valid))
    return product


def test_declaration_from_product_builds_the_input():
    declaration = tiers.declaration_from_product(make_product(), AS_OF)
    assert declaration.device_type == "leak_alarm" and declaration.usage == "household"
    assert declaration.tier == "mid" and declaration.as_of == AS_OF
    assert "co_detection" in declaration.features and len(declaration.certificates) == 3
    assert validate(declaration) == validate(alarm(certificates=certificates_until(date(2028, 1, 1))))


@pytest.mark.parametrize("status", ["suspended", "revoked", "cancelled", "expired"])
def test_product_certificate_not_valid_in_the_register_fails(status):
    declaration = tiers.declaration_from_product(make_product(status=models.CertificateStatus(status)), AS_OF)
    verdict = validate(declaration)
    assert rule_ids(verdict) == ["alarm.certificates"]
    assert "fire_product" in verdict["violations"][0]["message"]


def test_product_certificate_expired_by_date_fails():
    declaration = tiers.declaration_from_product(make_product(valid_until=AS_OF - timedelta(days=1)), AS_OF)
    assert rule_ids(validate(declaration)) == ["alarm.certificates"]


def test_valve_product_has_no_usage():
    product = models.Product(device_type=models.DeviceType.self_closing_valve, usage=None,
                             tier=models.Tier.low, features=VALVE["features"], standards=VALVE["standards"])
    verdict = validate(tiers.declaration_from_product(product, AS_OF))
    assert verdict["valid"] is True and warning_ids(verdict) == ["valve.test_report"]


# --- malformed declarations (the API tests cover every field) --------------------------------------------


@pytest.mark.parametrize(("data", "field"), [
    ([], "body"),
    (alarm(device_type="boiler"), "device_type"),
    (alarm(usage=None), "usage"),
    (valve(usage="household"), "usage"),
    (alarm(tier="premium"), "tier"),
    (alarm(features=["methane_detection", "gas_detection"]), "features[1]"),
    (alarm(certificates=[{"kind": "iso9001", "valid_until": "2027-01-01"}]), "certificates[0].kind"),
    (alarm(as_of="2026-02-30"), "as_of"),
])
def test_malformed_declaration_raises_naming_the_field(data, field):
    with pytest.raises(DeclarationError) as info:
        validate(data)
    assert info.value.field == field and info.value.code == "invalid_field" and info.value.message


def test_tier_declaration_checks_its_values():
    with pytest.raises(DeclarationError):
        tiers.TierDeclaration(device_type="leak_alarm", usage="household", tier="mid", features={"telepathy"})
    declaration = tiers.TierDeclaration(device_type=models.DeviceType.self_closing_valve,
                                        tier=models.Tier.low)
    assert declaration.device_type == "self_closing_valve" and type(declaration.tier) is str


# --- translation --------------------------------------------------------------------------------------------

ENGLISH = {
    "中档及以上报警装置须具备一氧化碳浓度检测功能（co_detection）。":
        "Mid- and high-tier alarms must detect carbon monoxide (co_detection).",
    "中档及以上报警装置须能通过电话、微信或 APP 告知用户；请补充其一：%(missing)s。":
        "Mid- and high-tier alarms must notify the user by phone, WeChat or app; add one of: %(missing)s.",
    "%(label)s（%(code)s）": "%(label)s (%(code)s)",
    "电话告知用户": "Phone call",
    "微信告知用户": "WeChat message",
    "APP 告知用户": "App notification",
    "%(field)s 的取值“%(value)s”无效；可选值：%(choices)s。":
        "%(field)s: “%(value)s” is not allowed; choose one of: %(choices)s.",
}


@pytest.fixture
def english(monkeypatch):
    """An English catalogue with a few of the validator's messages, served only when English is active."""
    catalog = Catalog(locale="en")
    for msgid, msgstr in ENGLISH.items():
        catalog.add(msgid, msgstr)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    translations = Translations(fp=buffer)

    def get_translations(self):
        locale = flask_babel.get_locale()
        return translations if locale is not None and locale.language == "en" else NullTranslations()

    monkeypatch.setattr(flask_babel.Domain, "get_translations", get_translations)
    return translations


def test_messages_are_rendered_in_the_active_locale(app, english):
    data = without(SPEC_EXAMPLE, "co_detection", "notify_app")
    with app.test_request_context("/api/v1/products/validate?lang=en"):
        messages = [v["message"] for v in validate(data)["violations"]]
    assert messages == [
        "Mid- and high-tier alarms must detect carbon monoxide (co_detection).",
        "Mid- and high-tier alarms must notify the user by phone, WeChat or app; add one of: "
        "Phone call (notify_phone), WeChat message (notify_wechat), or App notification (notify_app).",
    ]
    with app.test_request_context("/api/v1/products/validate?lang=zh_CN"):
        flask_babel.refresh()  # the test's app context outlives the request: forget the cached locale
        message = validate(data)["violations"][0]["message"]
    assert message == "中档及以上报警装置须具备一氧化碳浓度检测功能（co_detection）。"
