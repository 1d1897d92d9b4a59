"""PaymentIntents and charges through the official SDK against the live stub."""

import pytest
import stripe


def create(client, **params):
    """A PaymentIntent for 100.00 CNY unless told otherwise."""
    return client.v1.payment_intents.create(params={"amount": 10000, "currency": "cny", **params})


def test_create_has_stripe_shape_and_awaits_payment_method(stripe_client):
    intent = create(stripe_client, metadata={"order_id": "5"}, description="订单 5")
    assert intent.id.startswith("pi_")
    assert intent.object == "payment_intent"
    assert (intent.amount, intent.currency, intent.status) == (10000, "cny", "requires_payment_method")
    assert intent.metadata.to_dict() == {"order_id": "5"}
    assert intent.livemode is False
    assert isinstance(intent.created, int)
    assert intent.client_secret.startswith(intent.id + "_secret_")


def test_retrieve_returns_the_same_object(stripe_client):
    intent = create(stripe_client)
    assert stripe_client.v1.payment_intents.retrieve(intent.id).to_dict() == intent.to_dict()


def test_update_merges_metadata_and_changes_amount(stripe_client):
    intent = create(stripe_client, metadata={"a": "1", "b": "2"})
    updated = stripe_client.v1.payment_intents.update(
        intent.id, params={"amount": 2500, "metadata": {"b": ""}}
    )
    assert updated.amount == 2500
    assert updated.metadata.to_dict() == {"a": "1"}


def test_confirm_with_visa_succeeds_and_creates_a_charge(stripe_client):
    intent = create(stripe_client)
    confirmed = stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert confirmed.status == "succeeded"
    assert confirmed.amount_received == 10000
    charge = stripe_client.v1.charges.retrieve(confirmed.latest_charge)
    assert charge.id.startswith("ch_")
    assert (charge.status, charge.paid, charge.amount_captured) == ("succeeded", True, 10000)
    assert charge.payment_method_details.card.last4 == "4242"


def test_create_with_confirm_true_pays_at_once(stripe_client):
    intent = create(stripe_client, payment_method="pm_card_visa", confirm=True)
    assert intent.status == "succeeded"


def test_payment_method_then_confirm_without_parameters(stripe_client):
    intent = create(stripe_client, payment_method="pm_card_mastercard")
    assert intent.status == "requires_confirmation"
    assert stripe_client.v1.payment_intents.confirm(intent.id).status == "succeeded"


@pytest.mark.parametrize("payment_method", ["pm_card_chargeDeclined", "pm_card_visa_chargeDeclined"])
def test_declined_card_raises_card_error_and_records_the_failure(stripe_client, payment_method):
    intent = create(stripe_client)
    with pytest.raises(stripe.CardError) as caught:
        stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": payment_method})
    assert caught.value.http_status == 402
    assert caught.value.code == "card_declined"
    assert caught.value.error.decline_code == "generic_decline"
    assert caught.value.error.payment_intent.id == intent.id
    after = stripe_client.v1.payment_intents.retrieve(intent.id)
    assert after.status == "requires_payment_method"
    assert after.last_payment_error.code == "card_declined"
    assert stripe_client.v1.charges.retrieve(after.latest_charge).status == "failed"


def test_insufficient_funds_is_a_decline_with_its_decline_code(stripe_client):
    with pytest.raises(stripe.CardError) as caught:
        create(stripe_client, payment_method="pm_card_chargeDeclinedInsufficientFunds", confirm=True)
    assert caught.value.code == "card_declined"
    assert caught.value.error.decline_code == "insufficient_funds"


@pytest.mark.parametrize(
    ("number", "code", "decline_code"),
    [
        ("4000000000000002", "card_declined", "generic_decline"),
        ("4000000000009995", "card_declined", "insufficient_funds"),
        ("4242424242424241", "incorrect_number", None),
    ],
)
def test_raw_card_numbers_decline_as_documented(stripe_client, number, code, decline_code):
    with pytest.raises(stripe.CardError) as caught:
        create(stripe_client, payment_method_data={"type": "card", "card": {"number": number}}, confirm=True)
    assert caught.value.code == code
    assert getattr(caught.value.error, "decline_code", None) == decline_code


def test_a_declined_intent_can_be_paid_with_another_card(stripe_client):
    intent = create(stripe_client)
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    assert (
        stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"}).status
        == "succeeded"
    )


def test_cancel_then_confirm_is_an_unexpected_state(stripe_client):
    intent = create(stripe_client)
    canceled = stripe_client.v1.payment_intents.cancel(intent.id, params={"cancellation_reason": "abandoned"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "abandoned")
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    assert caught.value.code == "payment_intent_unexpected_state"


def test_succeeded_intent_cannot_be_canceled_or_repriced(stripe_client):
    intent = create(stripe_client, payment_method="pm_card_visa", confirm=True)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.cancel(intent.id)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.update(intent.id, params={"amount": 1})
    assert (
        stripe_client.v1.payment_intents.update(intent.id, params={"metadata": {"x": "y"}}).metadata.x == "y"
    )


def test_validation_errors_name_the_parameter(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.payment_intents.create(params={"currency": "cny"})
    assert (missing.value.code, missing.value.param, missing.value.http_status) == (
        "parameter_missing",
        "amount",
        400,
    )
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        create(stripe_client, colour="red")
    assert (unknown.value.code, unknown.value.param) == ("parameter_unknown", "colour")
    with pytest.raises(stripe.InvalidRequestError) as no_method:
        create(stripe_client, payment_method="pm_card_nonexistent")
    assert no_method.value.code == "resource_missing"


def test_unknown_intent_is_a_404(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as caught:
        stripe_client.v1.payment_intents.retrieve("pi_doesnotexist")
    assert (caught.value.http_status, caught.value.code) == (404, "resource_missing")


def test_list_charges_of_one_intent(stripe_client):
    intent = create(stripe_client)
    with pytest.raises(stripe.CardError):
        stripe_client.v1.payment_intents.confirm(
            intent.id, params={"payment_method": "pm_card_chargeDeclined"}
        )
    stripe_client.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})
    charges = stripe_client.v1.charges.list(params={"payment_intent": intent.id})
    assert [charge.status for charge in charges.data] == ["succeeded", "failed"]
