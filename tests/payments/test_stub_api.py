"""Authentication, errors, idempotency, pagination and events of the stub API."""

import uuid

import pytest
import requests
import stripe

from payments.stub.idempotency import claim, release


def new_intent(client, amount=700, **options):
    """A PaymentIntent, with request options such as an idempotency key."""
    return client.v1.payment_intents.create(params={"amount": amount, "currency": "cny"}, options=options)


@pytest.mark.parametrize("key", ["sk_live_abc", "pk_test_abc", "sk_test_", "nonsense"])
def test_keys_other_than_secret_test_keys_are_refused(sdk, stub_server, key):
    with pytest.raises(stripe.AuthenticationError) as caught:
        new_intent(sdk(stub_server, api_key=key))
    assert caught.value.http_status == 401


def test_no_key_is_a_401_in_stripe_error_shape(stub_server):
    with requests.Session() as http:
        response = http.get(f"{stub_server}/v1/payment_intents")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "API key" in response.json()["error"]["message"]


def test_configured_keys_replace_the_sk_test_rule(make_stub):
    web = make_stub(STRIPE_STUB_API_KEYS="sk_test_one, sk_test_two").test_client()
    assert web.get("/v1/events", headers={"Authorization": "Bearer sk_test_two"}).status_code == 200
    assert web.get("/v1/events", headers={"Authorization": "Bearer sk_test_other"}).status_code == 401


def test_basic_auth_with_the_key_as_user_name_is_accepted(stub_server):
    with requests.Session() as http:
        assert http.get(f"{stub_server}/v1/events", auth=("sk_test_basic", "")).status_code == 200


def test_unknown_url_is_a_stripe_404(stub_server):
    with requests.Session() as http:
        response = http.get(f"{stub_server}/v1/customers", headers={"Authorization": "Bearer sk_test_x"})
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("Unrecognized request URL")


def test_responses_carry_a_request_id(stripe_client):
    intent = new_intent(stripe_client)
    assert intent.last_response.headers["Request-Id"].startswith("req_")


def test_same_idempotency_key_and_parameters_replay_the_first_response(stripe_client):
    key = str(uuid.uuid4())
    first = new_intent(stripe_client, idempotency_key=key)
    second = new_intent(stripe_client, idempotency_key=key)
    assert second.id == first.id
    assert second.last_response.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.last_response.headers
    created = stripe_client.v1.events.list(params={"type": "payment_intent.created", "limit": 5}).data
    assert [e.data.object.id for e in created].count(first.id) == 1


def test_a_declined_payment_is_replayed_as_the_same_decline(stripe_client):
    key = str(uuid.uuid4())
    params = {"amount": 900, "currency": "cny", "payment_method": "pm_card_chargeDeclined", "confirm": True}
    errors = []
    for _ in range(2):
        with pytest.raises(stripe.CardError) as caught:
            stripe_client.v1.payment_intents.create(params=params, options={"idempotency_key": key})
        errors.append(caught.value)
    assert errors[0].error.payment_intent.id == errors[1].error.payment_intent.id
    assert errors[1].headers["Idempotent-Replayed"] == "true"


def test_same_key_with_other_parameters_is_an_idempotency_error(stripe_client):
    key = str(uuid.uuid4())
    new_intent(stripe_client, idempotency_key=key)
    with pytest.raises(stripe.IdempotencyError) as caught:
        new_intent(stripe_client, amount=701, idempotency_key=key)
    assert caught.value.http_status == 400


def test_a_request_racing_one_in_flight_with_the_same_key_gets_409(stripe_client, state):
    key = str(uuid.uuid4())
    assert claim(state.engine, key, "held-by-another-request") is None
    with pytest.raises(stripe.APIError) as caught:
        new_intent(stripe_client, idempotency_key=key)
    assert caught.value.http_status == 409
    assert caught.value.error.code == "idempotency_key_in_use"
    release(state.engine, key)
    assert new_intent(stripe_client, idempotency_key=key).id.startswith("pi_")


def test_pagination_walks_pages_both_ways(stripe_client):
    tag = str(uuid.uuid4())
    created = [
        stripe_client.v1.payment_intents.create(
            params={"amount": 100 + i, "currency": "cny", "metadata": {"tag": tag}}
        )
        for i in range(7)
    ]
    newest_first = [intent.id for intent in reversed(created)]
    page1 = stripe_client.v1.payment_intents.list(params={"limit": 3})
    assert [i.id for i in page1.data] == newest_first[:3]
    assert page1.has_more is True
    assert page1.url == "/v1/payment_intents"
    page2 = stripe_client.v1.payment_intents.list(params={"limit": 3, "starting_after": page1.data[-1].id})
    assert [i.id for i in page2.data] == newest_first[3:6]
    back = stripe_client.v1.payment_intents.list(params={"limit": 3, "ending_before": page2.data[0].id})
    assert [i.id for i in back.data] == newest_first[:3]
    assert back.has_more is False
    walked = [i.id for i in stripe_client.v1.payment_intents.list(params={"limit": 2}).auto_paging_iter()]
    assert walked[:7] == newest_first


def test_default_limit_is_ten_and_limits_are_checked(stripe_client):
    for _ in range(11):
        new_intent(stripe_client)
    assert len(stripe_client.v1.payment_intents.list().data) == 10
    for bad in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as caught:
            stripe_client.v1.payment_intents.list(params={"limit": bad})
        assert caught.value.param == "limit"
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.list(params={"starting_after": "pi_unknown"})


def test_every_state_change_records_an_event(stripe_client):
    intent = new_intent(stripe_client)
    stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    events = stripe_client.v1.events.list(params={"limit": 3}).data
    assert [e.type for e in events] == [
        "payment_intent.succeeded",
        "charge.succeeded",
        "payment_intent.created",
    ]
    event = stripe_client.v1.events.retrieve(events[0].id)
    assert event.id.startswith("evt_")
    assert (event.object, event.livemode) == ("event", False)
    assert event.data.object.status == "succeeded"
    assert event.request.idempotency_key


def test_events_filter_by_type_family(stripe_client):
    intent = new_intent(stripe_client)
    stripe_client.v1.payment_intents.cancel(intent.id)
    types = {
        e.type for e in stripe_client.v1.events.list(params={"type": "payment_intent.*", "limit": 5}).data
    }
    assert types <= {
        "payment_intent.created",
        "payment_intent.canceled",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
    }
    assert "payment_intent.canceled" in types


def test_dashboard_lists_payments_and_events(stripe_client, stub_app):
    intent = new_intent(stripe_client)
    html = stub_app.test_client().get("/").get_data(as_text=True)
    assert intent.id in html
    assert "payment_intent.created" in html
