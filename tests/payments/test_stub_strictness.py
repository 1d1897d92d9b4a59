"""Strictness, as Stripe: unknown parameters and routes, expand[], manual capture, no card numbers kept,
no idempotent result for a request that failed validation."""

from __future__ import annotations

import json
import logging
import time

import pytest
import stripe
from sqlalchemy import delete, insert, select, update

from payments.stub.state import stub_state
from payments.stub.storage import attempts, deliveries, idempotency_keys, objects
from payments.stub.storage import settings as stub_settings

AUTH = {"Authorization": "Bearer sk_test_x"}
NUMBER = "5555555555554444"


def everything_stored(app) -> str:
    """Every stored object, idempotent body and delivery record as one text."""
    with stub_state(app).engine.connect() as conn:
        rows = [json.dumps(row.data) for row in conn.execute(select(objects.c.data))]
        rows += [row.body or "" for row in conn.execute(select(idempotency_keys.c.body))]
        rows += [str(tuple(row)) for row in conn.execute(select(deliveries))]
        rows += [str(tuple(row)) for row in conn.execute(select(attempts))]
    return "\n".join(rows)


def test_no_response_stored_body_event_or_log_contains_a_card_number(make_stub, caplog):
    caplog.set_level(logging.DEBUG)
    stub = make_stub(STRIPE_STUB_WEBHOOK_URL="http://127.0.0.1:9/hook", STRIPE_WEBHOOK_SECRET="whsec_x")
    web = stub.test_client()
    card = {"payment_method_data[type]": "card", "payment_method_data[card][number]": NUMBER}
    created = web.post("/v1/payment_intents", headers=AUTH, data={"amount": "500", "currency": "cny", **card})
    intent = created.get_json()
    bodies = [created]
    bodies.append(web.post(f"/v1/payment_intents/{intent['id']}/confirm", headers=AUTH))
    assert bodies[-1].get_json()["status"] == "succeeded"
    again = web.post(f"/v1/payment_intents/{intent['id']}/confirm", headers={**AUTH, "Idempotency-Key": "k1"})
    assert again.status_code == 400 and again.get_json()["error"]["payment_intent"]["id"] == intent["id"]
    bodies += [again, web.get(f"/v1/payment_intents/{intent['id']}"), web.get("/v1/events")]
    declined = web.post(
        "/v1/payment_intents",
        headers={**AUTH, "Idempotency-Key": "k2"},
        data={"amount": "500", "currency": "cny", "confirm": "true", **card,
              "payment_method_data[card][number]": "4000000000000002"},
    )
    assert declined.status_code == 402
    bodies.append(declined)
    charge = web.get(f"/v1/charges/{bodies[1].get_json()['latest_charge']}", headers=AUTH).get_json()
    card_shown = charge["payment_method_details"]["card"]
    assert (card_shown["last4"], card_shown["brand"]) == ("4444", "mastercard")
    bodies.append(web.get("/v1/charges", headers=AUTH))
    for response in bodies:
        text = response.get_data(as_text=True)
        assert NUMBER not in text and "4000000000000002" not in text
    stored = everything_stored(stub)
    assert NUMBER not in stored and "4000000000000002" not in stored and "_card_number" not in stored
    assert NUMBER not in caplog.text


@pytest.mark.parametrize(
    ("method", "path", "data", "param"),
    [
        ("post", "/v1/payment_intents", {"amount": "100", "currency": "cny", "setup_future_usage": "off_session"},
         "setup_future_usage"),
        ("post", "/v1/payment_intents", {"amount": "100", "currency": "cny", "customer": "cus_1"}, "customer"),
        ("post", "/v1/payment_intents",
         {"amount": "100", "currency": "cny", "payment_method_data[card][token]": "x"},
         "payment_method_data[card][token]"),
        ("post", "/v1/checkout/sessions",
         {"mode": "payment", "success_url": "https://s.example/", "amount": "100", "currency": "cny",
          "payment_intent_data[setup_future_usage]": "off_session"},
         "payment_intent_data[setup_future_usage]"),
        ("post", "/v1/checkout/sessions",
         {"mode": "payment", "success_url": "https://s.example/", "line_items[0][quantity]": "1",
          "line_items[0][price_data][currency]": "cny", "line_items[0][price_data][unit_amount]": "5",
          "line_items[0][price_data][product_data][name]": "x",
          "line_items[0][price_data][tax_behavior]": "exclusive"},
         "line_items[0][price_data][tax_behavior]"),
        ("post", "/v1/refunds", {"payment_intent": "pi_x", "instructions_email": "a@b.example"},
         "instructions_email"),
        ("get", "/v1/payment_intents", {"customer": "cus_1"}, "customer"),
        ("get", "/v1/charges", {"created[gte]": "1"}, "created"),
        ("get", "/v1/events", {"types[0]": "charge.refunded"}, "types"),
        ("get", "/v1/checkout/sessions", {"payment_intent": "pi_x"}, "payment_intent"),
        ("get", "/v1/payment_intents/pi_missing", {"foo": "1"}, "foo"),
    ],
)
def test_unknown_parameters_and_list_filters_are_refused_by_name(stub_app, method, path, data, param):
    web = stub_app.test_client()
    kwargs = {"data": data} if method == "post" else {"query_string": data}
    response = getattr(web, method)(path, headers=AUTH, **kwargs)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "parameter_unknown", param)
    assert error["message"] == f"Received unknown parameter: {param}"


def test_manual_capture_holds_the_money_until_captured(stripe_client):
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 10000, "currency": "cny", "payment_method": "pm_card_visa", "confirm": True,
                "capture_method": "manual"}
    )
    assert (intent.status, intent.amount_capturable, intent.amount_received) == ("requires_capture", 10000, 0)
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge)
    assert (charge.captured, charge.amount_captured) == (False, 0)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe_client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 10001})
    assert too_much.value.param == "amount_to_capture"
    captured = stripe_client.v1.payment_intents.capture(intent.id, params={"amount_to_capture": 8000})
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 8000, 0)
    assert stripe_client.v1.charges.retrieve(intent.latest_charge).amount_captured == 8000
    with pytest.raises(stripe.InvalidRequestError) as refused:
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 8001})
    assert refused.value.code == "amount_too_large"
    with pytest.raises(stripe.InvalidRequestError) as twice:
        stripe_client.v1.payment_intents.capture(intent.id)
    assert twice.value.code == "payment_intent_unexpected_state"
    types = [e.type for e in stripe_client.v1.events.list(params={"limit": 6}).data]
    assert "charge.captured" in types and "payment_intent.amount_capturable_updated" in types


def test_canceling_a_held_payment_releases_it(stripe_client):
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 400, "currency": "cny", "payment_method": "pm_card_visa", "confirm": True,
                "capture_method": "manual"}
    )
    canceled = stripe_client.v1.payment_intents.cancel(intent.id)
    assert (canceled.status, canceled.amount_capturable, canceled.amount_received) == ("canceled", 0, 0)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.capture(intent.id)


def test_automatic_capture_stays_the_default(stripe_client):
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 300, "currency": "cny", "payment_method": "pm_card_visa", "confirm": True}
    )
    assert (intent.capture_method, intent.status, intent.amount_received) == ("automatic", "succeeded", 300)


def test_checkout_with_manual_capture_completes_unpaid(stub_app):
    web = stub_app.test_client()
    session = web.post(
        "/v1/checkout/sessions",
        headers=AUTH,
        data={"mode": "payment", "success_url": "https://s.example/", "amount": "900", "currency": "cny",
              "payment_intent_data[capture_method]": "manual"},
    ).get_json()
    page = web.get(f"/c/pay/{session['id']}").get_data(as_text=True)
    token = page.split('name="token" value="')[1].split('"')[0]
    assert web.post(f"/c/pay/{session['id']}", data={"token": token, "card_number": "4242424242424242"}
                    ).status_code == 303
    paid = web.get(f"/v1/checkout/sessions/{session['id']}", headers=AUTH,
                   query_string={"expand[0]": "payment_intent"}).get_json()
    assert (paid["status"], paid["payment_status"]) == ("complete", "unpaid")
    assert paid["payment_intent"]["status"] == "requires_capture"


def test_expand_follows_stripes_expandable_fields(stripe_client):
    intent = stripe_client.v1.payment_intents.create(
        params={"amount": 700, "currency": "cny", "payment_method": "pm_card_visa", "confirm": True,
                "expand": ["latest_charge"]}
    )
    assert intent.latest_charge.object == "charge" and intent.latest_charge.payment_intent == intent.id
    charge = stripe_client.v1.charges.retrieve(intent.latest_charge.id, params={"expand": ["payment_intent"]})
    assert charge.payment_intent.id == intent.id
    refund = stripe_client.v1.refunds.create(
        params={"payment_intent": intent.id, "amount": 100, "expand": ["charge", "payment_intent.latest_charge"]}
    )
    assert refund.charge.amount_refunded == 100 and refund.payment_intent.latest_charge.id == charge.id
    listed = stripe_client.v1.payment_intents.list(params={"limit": 1, "expand": ["data.latest_charge"]})
    assert listed.data[0].latest_charge.id == charge.id
    refunds = stripe_client.v1.refunds.list(
        params={"payment_intent": intent.id, "expand": ["data.charge", "data.payment_intent"]}
    )
    assert refunds.data[0].charge.id == charge.id and refunds.data[0].payment_intent.id == intent.id


@pytest.mark.parametrize(
    ("path", "expand"),
    [
        ("/v1/payment_intents", "customer"),
        ("/v1/payment_intents", "latest_charge"),  # a list expands data.<field>
        ("/v1/payment_intents", "data.customer"),
        ("/v1/events", "data.object"),
        ("/v1/charges", "data.payment_intent.latest_charge.payment_intent.latest_charge"),
    ],
)
def test_expand_refuses_what_does_not_expand(stub_app, path, expand):
    response = stub_app.test_client().get(path, headers=AUTH, query_string={"expand[0]": expand})
    assert response.status_code == 400
    assert response.get_json()["error"]["param"] == "expand"


def test_a_refused_expand_on_create_creates_nothing(stub_app):
    web = stub_app.test_client()
    before = web.get("/v1/payment_intents", headers=AUTH, query_string={"limit": 1}).get_json()["data"]
    response = web.post("/v1/payment_intents", headers=AUTH,
                        data={"amount": "100", "currency": "cny", "expand[0]": "customer"})
    assert response.status_code == 400
    after = web.get("/v1/payment_intents", headers=AUTH, query_string={"limit": 1}).get_json()["data"]
    assert after == before


def test_a_request_that_failed_validation_stores_no_idempotent_result(stub_app):
    web = stub_app.test_client()
    headers = {**AUTH, "Idempotency-Key": "validation-then-fixed"}
    bad = web.post("/v1/payment_intents", headers=headers, data={"amount": "-5", "currency": "cny"})
    assert bad.status_code == 400 and bad.get_json()["error"]["param"] == "amount"
    same = web.post("/v1/payment_intents", headers=headers, data={"amount": "-5", "currency": "cny"})
    assert same.status_code == 400 and "Idempotent-Replayed" not in same.headers
    fixed = web.post("/v1/payment_intents", headers=headers, data={"amount": "500", "currency": "cny"})
    assert fixed.status_code == 200 and fixed.get_json()["amount"] == 500
    replay = web.post("/v1/payment_intents", headers=headers, data={"amount": "500", "currency": "cny"})
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.get_json()["id"] == fixed.get_json()["id"]


def test_a_recorded_decline_is_still_replayed(stub_app):
    web = stub_app.test_client()
    headers = {**AUTH, "Idempotency-Key": "decline-replayed"}
    data = {"amount": "500", "currency": "cny", "payment_method": "pm_card_chargeDeclined", "confirm": "true"}
    first = web.post("/v1/payment_intents", headers=headers, data=data)
    again = web.post("/v1/payment_intents", headers=headers, data=data)
    assert (first.status_code, again.status_code) == (402, 402)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/refunds/re_123"),
        ("delete", "/v1/payment_intents/pi_123"),
        ("get", "/v1/customers"),
        ("put", "/v1/payment_intents"),
        ("get", "/v1/payment_intents/pi_1/nothing"),
    ],
)
def test_unknown_routes_and_methods_are_404_in_stripes_shape(stub_app, method, path):
    response = getattr(stub_app.test_client(), method)(path, headers=AUTH)
    assert response.status_code == 404
    error = response.get_json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(f"Unrecognized request URL ({method.upper()}: {path}).")


def test_the_sdk_raises_invalid_request_for_an_unknown_route(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.raw_request("post", "/v1/refunds/re_123", metadata={"a": "b"})
    assert caught.value.http_status == 404


def test_card_numbers_kept_by_earlier_versions_are_scrubbed_at_start(make_stub, tmp_path):
    settings = {"STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp_path / 'legacy.sqlite3'}"}
    old = make_stub(**settings)
    web = old.test_client()
    intent = web.post("/v1/payment_intents", headers=AUTH, data={"amount": "100", "currency": "cny"}).get_json()
    legacy = {**intent, "_card_number": NUMBER}
    with stub_state(old).engine.begin() as conn:  # what the earlier version stored (it had no settings)
        conn.execute(delete(stub_settings))
        conn.execute(update(objects).where(objects.c.id == intent["id"]).values(data=legacy))
        conn.execute(insert(idempotency_keys).values(
            key="legacy", request_hash="x", state="done", status_code=400, created_at=time.time(),
            body=json.dumps({"error": {"payment_intent": legacy}})))
    restarted = make_stub(**settings)
    assert NUMBER not in everything_stored(restarted)
    assert restarted.test_client().get(f"/v1/payment_intents/{intent['id']}", headers=AUTH).status_code == 200
