"""Errors in Stripe's shape and status codes, so that the SDK raises its own exception classes."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify


class StripeError(Exception):
    """An API error rendered as {"error": {"type", "code", "message", "param", ...}}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type_: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.extra = extra
        #: Set when the request's changes were committed before the error (a recorded decline).
        self.committed = False

    def to_dict(self) -> dict[str, Any]:
        """The body's error object."""
        body = {"type": self.type, "message": self.message}
        if self.code:
            body["code"] = self.code
            body["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            body["param"] = self.param
        body.update(self.extra)
        return body

    def response(self) -> Response:
        """The JSON response for this error."""
        response = jsonify(error=self.to_dict())
        response.status_code = self.status
        return response


def invalid(message: str, *, param: str | None = None, code: str | None = None, **extra: Any) -> StripeError:
    """A 400 invalid_request_error."""
    return StripeError(400, message, param=param, code=code, **extra)


def missing(type_: str, object_id: str, param: str = "id") -> StripeError:
    """A 404 for an object that does not exist."""
    return StripeError(404, f"No such {type_}: '{object_id}'", code="resource_missing", param=param)


def unexpected_state(obj: dict[str, Any], action: str) -> StripeError:
    """A 400 for an action the object's status does not allow."""
    message = f"You cannot {action} this PaymentIntent because it has a status of {obj['status']}."
    shown = {key: value for key, value in obj.items() if not key.startswith("_")}
    return invalid(message, code="payment_intent_unexpected_state", payment_intent=shown)


def card_error(
    code: str, message: str, *, decline_code: str | None = None, param: str | None = None, **extra: Any
) -> StripeError:
    """A 402 card_error (declines, insufficient funds, incorrect number)."""
    if decline_code:
        extra["decline_code"] = decline_code
    return StripeError(402, message, type_="card_error", code=code, param=param, **extra)


def authentication_error(message: str) -> StripeError:
    """A 401 for a missing or unknown API key."""
    return StripeError(401, message)
