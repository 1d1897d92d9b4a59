"""Checkout Sessions through the SDK, and the hosted payment page through the test client."""

import re
from urllib.parse import urlsplit

import pytest
import stripe
from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

SUCCESS = "https://shop.example/orders/7/paid?session={CHECKOUT_SESSION_ID}"
CANCEL = "https://shop.example/orders/7"


def new_session(client, **params):
    """A session for two alarms at 199.00 and one installation at 50.00."""
    items = [
        {
            "quantity": 2,
            "price_data": {
                "currency": "cny",
                "unit_amount": 19900,
                "product_data": {"name": "家用燃气报警器"},
            },
        },
        {"price_data": {"currency": "cny", "unit_amount": 5000, "product_data": {"name": "安装费"}}},
    ]
    base = {
        "mode": "payment",
        "success_url": SUCCESS,
        "cancel_url": CANCEL,
        "line_items": items,
        "metadata": {"order_ref": "ORD-7"},
    }
    return client.v1.checkout.sessions.create(params={**base, **params})


def page_path(session) -> str:
    """The hosted page's path on the stub."""
    return urlsplit(session.url).path


def token_of(html: str) -> str:
    """The per-session form token of the hosted page."""
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def pay(test_client, session, number: str):
    """Submit the hosted page with a card number."""
    html = test_client.get(page_path(session)).get_data(as_text=True)
    return test_client.post(page_path(session), data={"token": token_of(html), "card_number": number})


def test_create_totals_line_items_and_gives_a_hosted_url(stripe_client, stub_server):
    session = new_session(stripe_client)
    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert (session.amount_total, session.currency) == (44800, "cny")
    assert (session.status, session.payment_status, session.payment_intent) == ("open", "unpaid", None)
    assert session.url == f"{stub_server}/c/pay/{session.id}"
    assert session.metadata.order_ref == "ORD-7"


def test_retrieve_with_expanded_line_items_and_list_line_items(stripe_client):
    session = new_session(stripe_client)
    expanded = stripe_client.v1.checkout.sessions.retrieve(session.id, params={"expand": ["line_items"]})
    assert [item.description for item in expanded.line_items.data] == ["家用燃气报警器", "安装费"]
    items = stripe_client.v1.checkout.sessions.line_items.list(session.id)
    assert [item.amount_total for item in items.data] == [39800, 5000]


def test_plain_amount_instead_of_line_items(stripe_client):
    session = stripe_client.v1.checkout.sessions.create(
        params={"mode": "payment", "success_url": SUCCESS, "amount": 1234, "currency": "CNY"}
    )
    assert (session.amount_total, session.currency) == (1234, "cny")


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"mode": "subscription"}, "mode"),
        ({"success_url": "not a url"}, "success_url"),
        ({"line_items": [{"price": "price_123"}]}, "line_items[0][price]"),
    ],
)
def test_invalid_sessions_are_refused(stripe_client, params, param):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        new_session(stripe_client, **params)
    assert caught.value.param == param


def test_hosted_page_shows_amount_items_and_cancel_link(stripe_client, stub_app):
    session = new_session(stripe_client)
    response = stub_app.test_client().get(page_path(session))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "¥448.00 CNY" in html
    assert "家用燃气报警器" in html and "安装费" in html
    assert f'href="{CANCEL}"' in html


def test_paying_with_4242_redirects_to_success_url_and_completes(stripe_client, stub_app):
    session = new_session(stripe_client)
    response = pay(stub_app.test_client(), session, "4242 4242 4242 4242")
    assert response.status_code == 303
    assert response.headers["Location"] == SUCCESS.replace("{CHECKOUT_SESSION_ID}", session.id)
    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    intent = stripe_client.v1.payment_intents.retrieve(done.payment_intent)
    assert (intent.status, intent.amount_received) == ("succeeded", 44800)
    events = stripe_client.v1.events.list(params={"type": "checkout.session.completed", "limit": 1})
    assert events.data[0].data.object.id == session.id


def test_declined_card_shows_the_error_and_the_session_stays_open(stripe_client, stub_app):
    session = new_session(stripe_client)
    test_client = stub_app.test_client()
    response = pay(test_client, session, "4000000000000002")
    assert response.status_code == 402
    assert "Your card was declined." in response.get_data(as_text=True)
    after = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert after.status == "open"
    assert (
        stripe_client.v1.payment_intents.retrieve(after.payment_intent).last_payment_error.code
        == "card_declined"
    )
    assert pay(test_client, session, "4242424242424242").status_code == 303


def test_incorrect_number_is_shown_and_nothing_is_charged(stripe_client, stub_app):
    session = new_session(stripe_client)
    response = pay(stub_app.test_client(), session, "1234 5678 9012 3456")
    assert response.status_code == 402
    assert "Your card number is incorrect." in response.get_data(as_text=True)
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent is None


def test_a_wrong_form_token_is_refused(stripe_client, stub_app):
    session = new_session(stripe_client)
    response = stub_app.test_client().post(
        page_path(session), data={"token": "forged", "card_number": "4242424242424242"}
    )
    assert response.status_code == 400
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_a_paid_session_cannot_be_paid_again(stripe_client, stub_app):
    session = new_session(stripe_client)
    test_client = stub_app.test_client()
    token = token_of(test_client.get(page_path(session)).get_data(as_text=True))
    form = {"token": token, "card_number": "4242424242424242"}
    assert test_client.post(page_path(session), data=form).status_code == 303
    page = test_client.get(page_path(session)).get_data(as_text=True)
    assert "This payment is complete." in page and 'name="card_number"' not in page
    assert test_client.post(page_path(session), data=form).status_code == 400
    intent_id = stripe_client.v1.checkout.sessions.retrieve(session.id).payment_intent
    assert len(stripe_client.v1.charges.list(params={"payment_intent": intent_id}).data) == 1


def test_expire_closes_an_open_session(stripe_client, stub_app):
    session = new_session(stripe_client)
    expired = stripe_client.v1.checkout.sessions.expire(session.id)
    assert expired.status == "expired"
    assert "expired" in stub_app.test_client().get(page_path(session)).get_data(as_text=True)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.checkout.sessions.expire(session.id)


def test_list_sessions_newest_first(stripe_client):
    first, second = new_session(stripe_client), new_session(stripe_client)
    listed = stripe_client.v1.checkout.sessions.list(params={"limit": 2})
    assert [s.id for s in listed.data] == [second.id, first.id]


def test_unknown_session_page_is_404(stub_app):
    assert stub_app.test_client().get("/c/pay/cs_test_nothing").status_code == 404


def test_mounted_under_a_prefix_urls_carry_the_script_root(make_stub):
    stub = make_stub()
    host = Flask("host")
    host.wsgi_app = DispatcherMiddleware(host.wsgi_app, {"/_stripe": stub})
    web = host.test_client()
    response = web.post(
        "/_stripe/v1/checkout/sessions",
        headers={"Authorization": "Bearer sk_test_x"},
        data={"mode": "payment", "success_url": SUCCESS, "amount": "500", "currency": "cny"},
    )
    url = response.get_json()["url"]
    assert url.startswith("http://localhost/_stripe/c/pay/cs_test_")
    assert web.get(urlsplit(url).path).status_code == 200


def test_public_url_setting_overrides_the_request_host(make_stub):
    stub = make_stub(STRIPE_STUB_PUBLIC_URL="https://pay.example.org/_stripe/")
    response = stub.test_client().post(
        "/v1/checkout/sessions",
        headers={"Authorization": "Bearer sk_test_x"},
        data={"mode": "payment", "success_url": SUCCESS, "amount": "500", "currency": "cny"},
    )
    assert response.get_json()["url"].startswith("https://pay.example.org/_stripe/c/pay/cs_test_")
