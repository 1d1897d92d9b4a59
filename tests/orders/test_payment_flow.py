"""Paying through the stub: paid only from the verified webhook, exactly once, whatever arrives when."""

from __future__ import annotations

import pytest

from core.db import db
from orders.models import Order, OrderState, PaymentStatus
from orders.sweep import sweep
from tests.conftest import login
from tests.orders.conftest import deliver_all, pay_on_page, post_event
from tests.orders.fulfil_helpers import reload
from tests.orders.order_helpers import form, household, listed, order_url, orders_of

S = OrderState


@pytest.fixture
def world():
    return listed()


def place(client, world, user=None, **changes) -> tuple[Order, str]:
    user = user or household()
    login(client, user)
    answer = client.post(order_url(world), data=form(world, **changes))
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    return orders_of(user)[-1], answer.headers["Location"]



def test_paid_only_from_the_webhook_never_from_the_redirect(client, world, paying):
    order, url = place(client, world)
    back = pay_on_page(url)
    assert back.status_code == 303 and back.headers["Location"].endswith(f"/orders/{order.id}?checkout=done")
    page = client.get(f"/orders/{order.id}?checkout=done").get_data(as_text=True)
    assert 'data-order-state="pending_payment"' in page and "等待支付平台确认" in page
    assert reload(order).state == S.pending_payment
    assert set(deliver_all(client, paying, order.id)) == {200}
    order = reload(order)
    assert order.state == S.paid and order.paid_fen == order.amount_fen and order.payment_intent_id
    assert order.payments[-1].status == PaymentStatus.paid
    assert 'data-order-state="paid"' in client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_the_same_events_twice_and_in_reverse_change_nothing_more(client, world, paying):
    order, url = place(client, world)
    pay_on_page(url)
    events = paying.events(order.id)
    for event in reversed(events):
        post_event(client, event)
    for event in events:
        assert post_event(client, event).status_code == 200
    order = reload(order)
    assert order.state == S.paid
    assert [e.to_state for e in order.events].count("paid") == 1


def test_a_forged_signature_is_refused_and_changes_nothing(client, world, paying):
    order, url = place(client, world)
    pay_on_page(url)
    completed = paying.events(order.id, "checkout.session.completed")[0]
    assert post_event(client, completed, secret="whsec_forged").status_code == 400
    assert reload(order).state == S.pending_payment


def test_a_declined_card_leaves_the_order_payable_on_the_same_page(client, world, paying):
    order, url = place(client, world)
    declined = pay_on_page(url, card="4000000000000002")
    assert declined.status_code in (400, 402)
    deliver_all(client, paying, order.id)
    order = reload(order)
    assert order.state == S.pending_payment and order.payable
    assert order.payments[-1].failure_code == "generic_decline"
    assert "银行卡被拒绝" in client.get(f"/orders/{order.id}").get_data(as_text=True)
    again = client.post(f"/orders/{order.id}/pay")
    assert again.status_code == 303 and again.headers["Location"] == url  # the open session, not a second one
    pay_on_page(url)
    deliver_all(client, paying, order.id)
    assert reload(order).state == S.paid


def test_an_expired_attempt_gets_a_new_session_with_its_own_key(client, world, paying):
    order, url = place(client, world)
    paying.sdk.v1.checkout.sessions.expire(order.checkout_session_id)
    again = client.post(f"/orders/{order.id}/pay")
    assert again.status_code == 303 and again.headers["Location"] != url
    order = reload(order)
    assert [p.attempt for p in order.payments] == [1, 2]
    assert order.payments[0].status == PaymentStatus.expired


def test_cancel_a_paid_order_refunds_it_in_full(client, world, paying):
    order, url = place(client, world)
    pay_on_page(url)
    deliver_all(client, paying, order.id)
    answer = client.post(f"/orders/{order.id}/cancel", data={"reason": "家里已经装过了"})
    assert answer.status_code == 303
    order = reload(order)
    assert order.state == S.canceled and order.refund_id and order.refund_pending
    deliver_all(client, paying, order.id)
    order = reload(order)
    assert order.state == S.refunded and order.refunded_fen == order.paid_fen == order.amount_fen
    refund = paying.sdk.v1.refunds.retrieve(order.refund_id)
    assert refund.amount == order.amount_fen and refund.status == "succeeded"


def test_cancel_an_unpaid_order_closes_its_payment_page(client, world, paying):
    order, url = place(client, world)
    assert client.post(f"/orders/{order.id}/cancel").status_code == 303
    order = reload(order)
    assert order.state == S.canceled and order.paid_fen == 0
    assert paying.sdk.v1.checkout.sessions.retrieve(order.checkout_session_id).status == "expired"
    assert pay_on_page(url).status_code >= 400  # the page can no longer be paid


def test_a_payment_arriving_after_cancellation_is_refunded_automatically(client, world, paying, monkeypatch):
    order, url = place(client, world)
    pay_on_page(url)  # paid at the provider ...
    events = paying.events(order.id)
    # ... but the resident canceled before the webhook arrived and the provider was not asked first
    monkeypatch.setattr("orders.paying.close_open_payments", lambda _order: True)
    client.post(f"/orders/{order.id}/cancel")
    assert reload(order).state == S.canceled
    for event in events:
        post_event(client, event)
    order = reload(order)
    assert order.paid_fen == order.amount_fen and order.refund_id
    deliver_all(client, paying, order.id)
    order = reload(order)
    assert order.state == S.refunded and order.refunded_fen == order.paid_fen


def test_supplier_cancels_a_paid_order_only_with_a_reason_the_resident_sees(client, world, paying):
    from tests.suppliers.factories import make_staff

    resident = household()
    order, url = place(client, world, resident)
    pay_on_page(url)
    deliver_all(client, paying, order.id)
    login(client, make_staff(world.supplier))
    assert client.post(f"/supplier/orders/{order.id}/cancel", data={"reason": "  "}).status_code == 400
    assert reload(order).state == S.paid
    assert client.post(f"/supplier/orders/{order.id}/cancel", data={"reason": "该型号缺货"}).status_code == 303
    assert reload(order).state == S.canceled
    login(client, resident)
    assert "该型号缺货" in client.get(f"/orders/{order.id}").get_data(as_text=True)
    deliver_all(client, paying, order.id)
    assert reload(order).state == S.refunded


def test_the_sweep_expires_abandoned_orders_once(client, world, paying, app):
    from datetime import timedelta

    from core.clock import now_utc

    order, _url = place(client, world)
    fresh, _ = place(client, world, quantity="2")
    order.created_at = now_utc() - timedelta(hours=25)
    db.session.commit()
    first = sweep()
    assert first.expired == [order.id]
    assert sweep().expired == []
    assert reload(order).state == S.canceled and reload(fresh).state == S.pending_payment
    assert paying.sdk.v1.checkout.sessions.retrieve(order.checkout_session_id).status == "expired"
    app.config["ORDER_PAYMENT_TIMEOUT_HOURS"], before = 1, app.config["ORDER_PAYMENT_TIMEOUT_HOURS"]
    try:
        fresh.created_at = now_utc() - timedelta(hours=2)
        db.session.commit()
        assert sweep().expired == [fresh.id]
    finally:
        app.config["ORDER_PAYMENT_TIMEOUT_HOURS"] = before


def test_the_sweep_command_prints_what_it_did(app, world):
    result = app.test_cli_runner().invoke(args=["orders", "sweep"])
    assert result.exit_code == 0 and "unpaid orders expired: 0" in result.output
