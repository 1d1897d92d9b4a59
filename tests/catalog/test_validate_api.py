"""POST /api/v1/products/validate: the SPEC section 5 contract over HTTP, and its 400 errors."""

from __future__ import annotations

import json

import pytest

from tests.catalog.test_tiers import SPEC_EXAMPLE, VALVE, alarm, english, valve, without  # noqa: F401

URL = "/api/v1/products/validate"


def post(client, body, **kwargs):
    if isinstance(body, (dict, list)):
        return client.post(URL, json=body, **kwargs)
    return client.post(URL, data=body, **kwargs)


def test_spec_example_answers_the_contract(client):
    response = post(client, SPEC_EXAMPLE)
    assert response.status_code == 200
    assert response.content_type == "application/json"
    body = response.get_json()
    assert body == {
        "valid": True, "device_type": "leak_alarm", "tier": "mid", "qualifies_for": "high", "violations": [],
        "warnings": [{"rule": "certificate.expiring", "message": body["warnings"][0]["message"]}],
    }


def test_invalid_declaration_is_still_200(client):
    body = post(client, without(SPEC_EXAMPLE, "co_detection")).get_json()
    assert body["valid"] is False and body["qualifies_for"] == "low"
    assert body["violations"] == [{
        "rule": "alarm.co", "source": "附件3 一、3",
        "message": "中档及以上报警装置须具备一氧化碳浓度检测功能（co_detection）。"}]


def test_valve_verdict_over_http(client):
    body = post(client, without(valve(certificates=[]), "active_identifier")).get_json()
    assert body["qualifies_for"] == "low"
    assert [v["rule"] for v in body["violations"]] == ["valve.active_id"]
    assert [w["rule"] for w in body["warnings"]] == ["valve.test_report"]


def test_no_login_and_no_csrf_token_needed(csrf_app):
    response = csrf_app.test_client().post(URL, json=SPEC_EXAMPLE)
    assert response.status_code == 200 and response.get_json()["valid"] is True


def test_json_with_another_content_type_is_read(client):
    response = client.post(URL, data=json.dumps(SPEC_EXAMPLE), content_type="text/plain")
    assert response.status_code == 200 and response.get_json()["valid"] is True


def test_get_is_not_allowed(client):
    response = client.get(URL)
    assert response.status_code == 405 and "error" in response.get_json()


CERT = {"kind": "pattern_approval", "number": "X", "valid_until": "2027-05-31"}


def cert(**changes) -> dict:
    """The SPEC example alarm with one certificate, changed."""
    return alarm(certificates=[{**CERT, **changes}])


UNTIL = "certificates[0].valid_until"
MALFORMED = [
    ("array body", [], "body"),
    ("string body", "\"leak_alarm\"", "body"),
    ("null body", "null", "body"),
    ("missing device_type", {"tier": "mid"}, "device_type"),
    ("unknown device_type", alarm(device_type="boiler"), "device_type"),
    ("number device_type", alarm(device_type=5), "device_type"),
    ("long device_type", alarm(device_type="x" * 1000), "device_type"),
    ("missing tier", {k: v for k, v in SPEC_EXAMPLE.items() if k != "tier"}, "tier"),
    ("unknown tier", alarm(tier="premium"), "tier"),
    ("list tier", alarm(tier=["mid"]), "tier"),
    ("infinite tier", '{"device_type": "leak_alarm", "usage": "household", "tier": 1e400}', "tier"),
    ("missing usage for alarm", {k: v for k, v in SPEC_EXAMPLE.items() if k != "usage"}, "usage"),
    ("null usage for alarm", alarm(usage=None), "usage"),
    ("unknown usage", alarm(usage="industrial"), "usage"),
    ("number usage", alarm(usage=1), "usage"),
    ("usage for valve", valve(usage="household"), "usage"),
    ("features not a list", alarm(features="methane_detection"), "features"),
    ("features an object", alarm(features={"methane_detection": True}), "features"),
    ("feature not a string", alarm(features=[1]), "features[0]"),
    ("feature null", alarm(features=["methane_detection", None]), "features[1]"),
    ("feature nested", alarm(features=[["methane_detection"]]), "features[0]"),
    ("unknown feature", alarm(features=["methane_detection", "co_detection", "telepathy"]), "features[2]"),
    ("too many features", alarm(features=["methane_detection"] * 51), "features"),
    ("huge float feature", '{"device_type": "self_closing_valve", "tier": "low", "features": [1e999]}',
     "features[0]"),
    ("standards not a list", alarm(standards="GB 15322.2"), "standards"),
    ("standard not a string", alarm(standards=["GB 15322.2", 50058]), "standards[1]"),
    ("certificates not a list", alarm(certificates=CERT), "certificates"),
    ("certificate not an object", alarm(certificates=["pattern_approval"]), "certificates[0]"),
    ("certificate without kind", alarm(certificates=[{"valid_until": "2027-01-01"}]), "certificates[0].kind"),
    ("unknown certificate kind", alarm(certificates=[CERT, {**CERT, "kind": "iso9001"}]),
     "certificates[1].kind"),
    ("certificate without valid_until", alarm(certificates=[{"kind": "fire_product"}]),
     "certificates[0].valid_until"),
    ("impossible date", cert(valid_until="2027-02-30"), UNTIL),
    ("slashed date", cert(valid_until="2027/01/01"), UNTIL),
    ("compact date", cert(valid_until="20270101"), UNTIL),
    ("number date", cert(valid_until=20270101), UNTIL),
    ("datetime", cert(valid_until="2027-01-01T00:00:00"), UNTIL),
    ("object date", cert(valid_until={"year": 2027}), UNTIL),
    ("bad valid_from", cert(valid_from="soon"), "certificates[0].valid_from"),
    ("unknown certificate status", cert(status="pending"), "certificates[0].status"),
    ("number certificate number", cert(number=123), "certificates[0].number"),
    ("list certificate issuer", cert(issuer=["CQC"]), "certificates[0].issuer"),
    ("words as_of", alarm(as_of="yesterday"), "as_of"),
    ("number as_of", alarm(as_of=2026), "as_of"),
    ("month 13 as_of", alarm(as_of="2026-13-01"), "as_of"),
    ("boolean as_of", alarm(as_of=True), "as_of"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in MALFORMED],
                         ids=[n for n, _, _ in MALFORMED])
def test_malformed_input_is_a_400_naming_the_field(client, body, field):
    response = post(client, body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_field"
    assert error.get("field") == field
    assert isinstance(error["message"], str) and error["message"]


@pytest.mark.parametrize(("body", "content_type"), [
    ("not json at all", "application/json"),
    ("device_type=leak_alarm&tier=mid", "application/x-www-form-urlencoded"),
    ("", "application/json"),
    (b"\xff\xfe\x00{", "application/json"),
    ('{"device_type": "leak_alarm", "tier": NaN}', "application/json"),
    ('{"device_type": "leak_alarm", "tier": "mid",', "application/json"),
    ('{"tier": ' + "9" * 5000 + "}", "application/json"),
    ("[" * 20000 + "]" * 20000, "application/json"),
    ('{"features": ' + "[" * 30000 + "]" * 30000 + "}", "application/json"),
    ('{"device_type": "' + "x" * 70000 + '"}', "application/json"),
], ids=["text", "form", "empty", "not-utf8", "nan", "truncated", "huge-int", "deep-nesting", "deep-field",
        "too-large"])
def test_non_json_bodies_are_a_400_never_a_500(client, body, content_type):
    response = client.post(URL, data=body, content_type=content_type)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_field" and error["field"] == "body" and error["message"]


def test_unknown_keys_are_ignored(client):
    response = post(client, {**SPEC_EXAMPLE, "model": "JT-1", "brand": "示例"})
    assert response.status_code == 200 and response.get_json()["valid"] is True


def test_omitted_lists_fail_the_rules_rather_than_pass(client):
    declaration = {"device_type": "self_closing_valve", "tier": "low", "as_of": "2026-11-28"}
    body = post(client, declaration).get_json()
    assert body["valid"] is False and body["qualifies_for"] is None
    assert "valve.standard" in [v["rule"] for v in body["violations"]]


def test_error_messages_are_chinese_by_default(client):
    error = post(client, alarm(tier="premium")).get_json()["error"]
    assert "无效" in error["message"] and "premium" in error["message"]


@pytest.mark.parametrize("kwargs", [{"query_string": {"lang": "en"}},
                                    {"headers": {"Accept-Language": "en-US,en"}}],
                         ids=["lang-parameter", "accept-language"])
def test_messages_in_english(app, english, kwargs):  # noqa: F811 - the fixture imported above
    client = app.test_client()
    body = post(client, without(SPEC_EXAMPLE, "co_detection", "notify_app"), **kwargs).get_json()
    assert [v["message"] for v in body["violations"]] == [
        "Mid- and high-tier alarms must detect carbon monoxide (co_detection).",
        "Mid- and high-tier alarms must notify the user by phone, WeChat or app; add one of: "
        "Phone call (notify_phone), WeChat message (notify_wechat), or App notification (notify_app).",
    ]
    error = post(app.test_client(), alarm(tier="premium"), **kwargs).get_json()["error"]
    assert error["message"] == "tier: “premium” is not allowed; choose one of: low, mid, high."
