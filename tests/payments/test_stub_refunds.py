"""Refunds: full, partial, and never more than what was paid."""

import pytest
import stripe


@pytest.fixture
def paid(stripe_client):
    """A succeeded PaymentIntent of 100.00 CNY."""
    return stripe_client.v1.payment_intents.create(
        params={"amount": 10000, "currency": "cny", "payment_method": "pm_card_visa", "confirm": True}
    )


def test_full_refund_by_default(stripe_client, paid):
    refund = stripe_client.v1.refunds.create(params={"payment_intent": paid.id})
    assert refund.id.startswith("re_")
    assert (refund.object, refund.amount, refund.status) == ("refund", 10000, "succeeded")
    assert refund.charge == paid.latest_charge
    charge = stripe_client.v1.charges.retrieve(paid.latest_charge)
    assert (charge.amount_refunded, charge.refunded) == (10000, True)


def test_partial_refunds_add_up_and_over_refund_is_refused(stripe_client, paid):
    first = stripe_client.v1.refunds.create(
        params={"payment_intent": paid.id, "amount": 6000, "reason": "requested_by_customer"}
    )
    assert first.reason == "requested_by_customer"
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 4001})
    assert (caught.value.code, caught.value.param, caught.value.http_status) == (
        "amount_too_large",
        "amount",
        400,
    )
    stripe_client.v1.refunds.create(params={"charge": paid.latest_charge, "amount": 4000})
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 1})
    assert again.value.code == "charge_already_refunded"
    assert stripe_client.v1.charges.retrieve(paid.latest_charge).refunded is True


def test_unpaid_intent_cannot_be_refunded(stripe_client):
    intent = stripe_client.v1.payment_intents.create(params={"amount": 500, "currency": "cny"})
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"payment_intent": intent.id})
    assert caught.value.code == "charge_not_refundable"


def test_refund_needs_a_payment(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.refunds.create(params={"amount": 5})
    assert caught.value.code == "parameter_missing"


def test_retrieve_and_list_refunds_of_one_payment(stripe_client, paid):
    first = stripe_client.v1.refunds.create(
        params={"payment_intent": paid.id, "amount": 100, "metadata": {"case": "C-1"}}
    )
    second = stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 200})
    assert stripe_client.v1.refunds.retrieve(first.id).metadata.case == "C-1"
    by_intent = stripe_client.v1.refunds.list(params={"payment_intent": paid.id})
    by_charge = stripe_client.v1.refunds.list(params={"charge": paid.latest_charge})
    assert [r.id for r in by_intent.data] == [r.id for r in by_charge.data] == [second.id, first.id]


def test_refund_emits_charge_refunded(stripe_client, paid):
    stripe_client.v1.refunds.create(params={"payment_intent": paid.id, "amount": 2500})
    event = stripe_client.v1.events.list(params={"type": "charge.refunded", "limit": 1}).data[0]
    assert event.data.object.id == paid.latest_charge
    assert event.data.object.amount_refunded == 2500
