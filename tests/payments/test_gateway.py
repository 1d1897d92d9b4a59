"""The gateway (official SDK) against the live stub, in a bare Flask app context."""

import json
import time
import uuid
from urllib.parse import urlsplit

import pytest
from flask import Flask

from payments import gateway
from payments.stub.delivery import sign

SECRET = "whsec_gateway_tests"


@pytest.fixture
def gateway_app(stub_server):
    """A minimal app whose configuration points the gateway at the live stub."""
    app = Flask("gateway-tests")
    app.config.update(
        STRIPE_API_BASE=stub_server + "/",
        STRIPE_API_KEY="sk_test_gateway",
        STRIPE_WEBHOOK_SECRET=SECRET,
        STRIPE_MAX_NETWORK_RETRIES=0,
    )
    with app.app_context():
        yield app


def checkout(order_ref: str, **overrides):
    """Create a checkout for one 199.00 alarm and one 50.00 installation."""
    params = {
        "order_ref": order_ref,
        "amount_fen": 24900,
        "line_items": [
            {"name": "报警器", "unit_amount_fen": 19900, "quantity": 1},
            {"name": "安装费", "unit_amount_fen": 5000},
        ],
        "success_url": "https://shop.example/ok?cs={CHECKOUT_SESSION_ID}",
        "cancel_url": "https://shop.example/no",
        "metadata": {"order_id": "42"},
    }
    return gateway.create_checkout_session(**{**params, **overrides})


def pay(stub_app, url: str, number: str = "4242424242424242"):
    """Pay a hosted page through the stub's test client."""
    web = stub_app.test_client()
    html = web.get(urlsplit(url).path).get_data(as_text=True)
    token = html.split('name="token" value="')[1].split('"')[0]
    return web.post(urlsplit(url).path, data={"token": token, "card_number": number})


def test_checkout_returns_id_and_url_and_tags_the_order(gateway_app, stub_server):
    ref = f"ORD-{uuid.uuid4().hex[:8]}"
    result = checkout(ref)
    assert result.id.startswith("cs_test_")
    assert result.url.startswith(stub_server + "/c/pay/")
    status = gateway.retrieve_checkout_session(result.id)
    assert (status.amount_fen, status.currency, status.paid) == (24900, "cny", False)
    assert status.metadata == {"order_id": "42", "order_ref": ref}


def test_repeated_checkout_for_the_same_order_and_amount_is_the_same_session(gateway_app):
    ref = f"ORD-{uuid.uuid4().hex[:8]}"
    assert checkout(ref).id == checkout(ref).id
    assert checkout(ref, attempt=2).id != checkout(ref).id


def test_line_items_must_add_up(gateway_app):
    with pytest.raises(gateway.PaymentError) as caught:
        checkout("ORD-X", amount_fen=1)
    assert caught.value.code == "amount_mismatch"


def test_provider_errors_become_payment_errors(gateway_app):
    with pytest.raises(gateway.PaymentError) as caught:
        gateway.retrieve_checkout_session("cs_test_missing")
    assert (caught.value.code, caught.value.http_status) == ("resource_missing", 404)


def test_refund_after_payment_full_and_partial(gateway_app, stub_app):
    result = checkout(f"ORD-{uuid.uuid4().hex[:8]}")
    assert pay(stub_app, result.url).status_code == 303
    status = gateway.retrieve_checkout_session(result.id)
    assert status.paid and status.payment_intent_id.startswith("pi_")
    partial = gateway.refund(status.payment_intent_id, 4900, "安装未完成", idempotency_key=f"r-{result.id}-1")
    assert (partial.amount_fen, partial.status) == (4900, "succeeded")
    replay = gateway.refund(status.payment_intent_id, 4900, "安装未完成", idempotency_key=f"r-{result.id}-1")
    assert replay.id == partial.id
    rest = gateway.refund(status.payment_intent_id, reason="duplicate", idempotency_key=f"r-{result.id}-2")
    assert rest.amount_fen == 20000
    with pytest.raises(gateway.PaymentError) as caught:
        gateway.refund(status.payment_intent_id, 1, idempotency_key=f"r-{result.id}-3")
    assert caught.value.code == "charge_already_refunded"


def test_verify_webhook_accepts_a_signed_event_and_refuses_others(gateway_app):
    payload = json.dumps(
        {
            "id": "evt_gw",
            "object": "event",
            "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_test_1"}},
        }
    )
    event = gateway.verify_webhook(payload.encode(), sign(payload, SECRET, int(time.time())))
    assert (event["id"], event["type"]) == ("evt_gw", "checkout.session.completed")
    for header in (
        "",
        "t=1,v1=deadbeef",
        sign(payload, "whsec_wrong", int(time.time())),
        sign(payload, SECRET, int(time.time()) - 3600),
    ):
        with pytest.raises(gateway.WebhookSignatureError):
            gateway.verify_webhook(payload.encode(), header)
    with pytest.raises(gateway.WebhookSignatureError):
        gateway.verify_webhook(b"not json", sign("not json", SECRET, int(time.time())))


def events_about(stripe_client, type_: str, object_id: str) -> list[dict]:
    """The stub's events of one type whose object (or its payment intent) is object_id."""
    listed = stripe_client.v1.events.list(params={"type": type_, "limit": 100}).to_dict()["data"]
    return [
        event["data"]["object"]
        for event in listed
        if object_id in (event["data"]["object"]["id"], event["data"]["object"].get("payment_intent"))
    ]


def test_expire_closes_an_open_session_whose_page_can_then_not_be_paid(gateway_app, stub_app, stripe_client):
    result = checkout(f"ORD-{uuid.uuid4().hex[:8]}")
    expired = gateway.expire_checkout_session(result.id)
    assert (expired.id, expired.status, expired.paid) == (result.id, "expired", False)
    assert expired.metadata["order_id"] == "42"
    [event] = events_about(stripe_client, "checkout.session.expired", result.id)
    assert event["metadata"]["order_id"] == "42"
    web = stub_app.test_client()
    html = web.get(urlsplit(result.url).path).get_data(as_text=True)
    assert 'name="card_number"' not in html
    token = html.split('name="token" value="')[1].split('"')[0] if 'name="token"' in html else "x"
    paying = web.post(urlsplit(result.url).path, data={"token": token, "card_number": "4242424242424242"})
    assert paying.status_code == 400
    assert gateway.retrieve_checkout_session(result.id).status == "expired"
    with pytest.raises(gateway.PaymentError) as again:
        gateway.expire_checkout_session(result.id)
    assert (again.value.http_status, again.value.code) == (400, "checkout_session_unexpected_state")


def test_a_paid_session_cannot_be_expired(gateway_app, stub_app):
    result = checkout(f"ORD-{uuid.uuid4().hex[:8]}")
    assert pay(stub_app, result.url).status_code == 303
    with pytest.raises(gateway.PaymentError) as caught:
        gateway.expire_checkout_session(result.id)
    assert caught.value.http_status == 400
    assert gateway.retrieve_checkout_session(result.id).paid


def test_expiring_an_unknown_session_is_a_payment_error(gateway_app):
    with pytest.raises(gateway.PaymentError) as caught:
        gateway.expire_checkout_session("cs_test_missing")
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")


def test_each_attempt_has_its_own_session_and_a_repeat_of_one_attempt_is_the_same(gateway_app):
    ref = f"ORD-{uuid.uuid4().hex[:8]}"
    first = checkout(ref)
    gateway.expire_checkout_session(first.id)
    second = checkout(ref, attempt=2)
    assert second.id != first.id and checkout(ref, attempt=2).id == second.id
    assert gateway.retrieve_checkout_session(second.id).status == "open"
    assert gateway.checkout_idempotency_key(ref, 24900, "cny", 1) != gateway.checkout_idempotency_key(
        ref, 24900, "cny", 2
    )


def test_a_declined_card_leaves_the_session_open_and_the_events_carry_the_order(
    gateway_app, stub_app, stripe_client
):
    result = checkout(f"ORD-{uuid.uuid4().hex[:8]}")
    declined = pay(stub_app, result.url, "4000000000000002")
    assert declined.status_code == 402
    status = gateway.retrieve_checkout_session(result.id)
    assert (status.status, status.paid) == ("open", False)
    [failed] = events_about(stripe_client, "payment_intent.payment_failed", status.payment_intent_id)
    assert failed["metadata"]["order_id"] == "42"
    assert failed["last_payment_error"]["code"] == "card_declined"
    assert events_about(stripe_client, "checkout.session.completed", result.id) == []

    assert pay(stub_app, result.url).status_code == 303  # the payer tries another card
    [completed] = events_about(stripe_client, "checkout.session.completed", result.id)
    assert completed["metadata"]["order_id"] == "42"
    assert (completed["amount_total"], completed["currency"], completed["payment_status"]) == (24900, "cny", "paid")
    assert completed["payment_intent"] == status.payment_intent_id

    full = gateway.refund(completed["payment_intent"], idempotency_key=f"full-{result.id}")
    assert (full.amount_fen, full.status) == (24900, "succeeded")
    [refunded] = events_about(stripe_client, "charge.refunded", completed["payment_intent"])
    assert (refunded["payment_intent"], refunded["metadata"]["order_id"]) == (completed["payment_intent"], "42")
    assert (refunded["amount_refunded"], refunded["refunded"]) == (24900, True)
