"""Stripe's documented test cards and pm_card_* payment methods, and what each does when charged."""

from __future__ import annotations

from dataclasses import dataclass

from payments.stub.errors import StripeError, card_error, invalid
from payments.stub.storage import new_id

#: Test payment method ids and the card number each stands for.
PAYMENT_METHODS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_unionpay": "6200000000000005",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
}

#: Card numbers that decline, and the decline code of each.
DECLINES = {"4000000000000002": "generic_decline", "4000000000009995": "insufficient_funds"}
DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
}

_BRANDS = (
    ("4", "visa"),
    ("5", "mastercard"),
    ("34", "amex"),
    ("37", "amex"),
    ("62", "unionpay"),
    ("6", "discover"),
    ("35", "jcb"),
)


@dataclass(frozen=True)
class Card:
    """A card as the payment method a charge is made with: never its number, only brand and last4."""

    payment_method: str
    brand: str
    last4: str
    #: The decline code a charge on this card ends with (a test card's behaviour), None when it succeeds.
    decline_code: str | None = None

    @classmethod
    def from_number(cls, number: str, payment_method: str) -> Card:
        """Keep what a charge may show of a number (brand, last4) and how it behaves; drop the number."""
        brand = next((brand for prefix, brand in _BRANDS if number.startswith(prefix)), "unknown")
        return cls(payment_method, brand, number[-4:], DECLINES.get(number))

    @classmethod
    def from_stored(cls, stored: dict) -> Card:
        """The card kept on an intent (see stored())."""
        return cls(stored["payment_method"], stored["brand"], stored["last4"], stored.get("decline_code"))

    def stored(self) -> dict:
        """What the stub keeps of the card on an intent until it is charged."""
        return {
            "payment_method": self.payment_method,
            "brand": self.brand,
            "last4": self.last4,
            "decline_code": self.decline_code,
        }

    def details(self) -> dict:
        """payment_method_details as a charge carries them."""
        card = {
            "brand": self.brand,
            "last4": self.last4,
            "exp_month": 12,
            "exp_year": 2034,
            "funding": "credit",
            "country": "US",
            "network": self.brand,
        }
        return {"type": "card", "card": card}

    def decline(self) -> StripeError | None:
        """The card_error a charge on this card ends with, or None when it succeeds."""
        if self.decline_code is None:
            return None
        return card_error("card_declined", DECLINE_MESSAGES[self.decline_code], decline_code=self.decline_code)


def luhn_valid(number: str) -> bool:
    """The Luhn checksum every card number passes."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = int(char)
        if position % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_from_number(raw: str, param: str = "number") -> Card:
    """A card from a typed number (spaces and dashes allowed); a bad number is incorrect_number."""
    number = raw.replace(" ", "").replace("-", "")
    if not (number.isdigit() and 12 <= len(number) <= 19 and luhn_valid(number)):
        raise card_error("incorrect_number", "Your card number is incorrect.", param=param)
    return Card.from_number(number, new_id("pm_"))


def card_from_payment_method(payment_method: str) -> Card:
    """A card from a pm_card_* test id; any other id does not exist here."""
    if payment_method not in PAYMENT_METHODS:
        raise invalid(
            f"No such PaymentMethod: '{payment_method}'", param="payment_method", code="resource_missing"
        )
    return Card.from_number(PAYMENT_METHODS[payment_method], payment_method)
