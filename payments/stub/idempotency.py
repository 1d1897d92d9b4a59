"""Idempotency-Key: replay the first response for 24 hours, refuse other parameters, 409 while in flight.

Only a request that ran (succeeded, or a decline it recorded) stores its result; one that failed
validation stores nothing, so the same key can be used again with corrected parameters."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g, make_response, request
from sqlalchemy import Engine, Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from payments.stub.errors import StripeError
from payments.stub.state import stub_state
from payments.stub.storage import idempotency_keys as keys

#: How long a key's first response is replayed.
TTL_SECONDS = 24 * 3600


def idempotent(view: Callable[..., Any]) -> Callable[..., Response]:
    """Wrap a POST view so that a repeated Idempotency-Key replays its first response."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key")
        if not key:
            return view(*args, **kwargs)
        engine = stub_state().engine
        stored = claim(engine, key, request_digest())
        if stored is not None:
            return _replay(key, stored)
        try:
            response = _run(view, args, kwargs)
        except BaseException:
            release(engine, key)
            raise
        _finish(engine, key, response)
        response.headers["Idempotency-Key"] = key
        return response

    return wrapper


def request_digest() -> str:
    """A hash of what makes two requests the same: method, path and parameters."""
    text = json.dumps([request.method, request.path, g.params], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def claim(engine: Engine, key: str, digest: str) -> Row | None:
    """Insert the key as in flight (None), or return its stored response; 400 or 409 otherwise."""
    if len(key) > 255:
        raise StripeError(
            400, "Idempotency keys can be at most 255 characters long.", code="idempotency_key_invalid"
        )
    for _attempt in range(3):
        try:
            with engine.begin() as conn:
                conn.execute(
                    insert(keys).values(
                        key=key, request_hash=digest, state="in_flight", created_at=time.time()
                    )
                )
            return None
        except IntegrityError:
            row = _existing(engine, key)
        if row is not None:
            return _check(row, key, digest)
    raise _in_use(key)


def release(engine: Engine, key: str) -> None:
    """Forget an in-flight key whose request did not finish, so that it can be retried."""
    with engine.begin() as conn:
        conn.execute(delete(keys).where(keys.c.key == key, keys.c.state == "in_flight"))


def _existing(engine: Engine, key: str) -> Row | None:
    """The stored key, or None when it was missing or expired (and is now deleted)."""
    with engine.begin() as conn:
        row = conn.execute(select(keys).where(keys.c.key == key)).first()
        if row is not None and row.created_at < time.time() - TTL_SECONDS:
            conn.execute(delete(keys).where(keys.c.key == key, keys.c.created_at == row.created_at))
            return None
        return row


def _check(row: Row, key: str, digest: str) -> Row:
    """A stored key may be replayed only when it has finished and its parameters match."""
    if row.state == "in_flight":
        raise _in_use(key)
    if row.request_hash != digest:
        raise StripeError(
            400,
            f"Keys for idempotent requests can only be used with the same parameters they "
            f"were first used with. Try using a key other than '{key}' if you meant to "
            f"execute a different request.",
            type_="idempotency_error",
        )
    return row


def _in_use(key: str) -> StripeError:
    """The 409 for a request racing another with the same key."""
    return StripeError(
        409,
        f"There is currently another in-progress request using this Idempotent Key "
        f"('{key}'). Please try again later.",
        code="idempotency_key_in_use",
    )


def _run(view: Callable[..., Any], args: tuple, kwargs: dict) -> Response:
    """Call the view; an error after the request's changes were committed (a recorded decline) becomes
    its response, stored for replay. Any other error (validation, a missing object, a refused state) means
    the request did nothing, so it is raised and the key released, as Stripe saves no result then."""
    try:
        return make_response(view(*args, **kwargs))
    except StripeError as error:
        if error.committed:
            return error.response()
        raise


def _finish(engine: Engine, key: str, response: Response) -> None:
    """Store the response for replay; a server error is not stored, so the key may be retried."""
    if response.status_code >= 500:
        release(engine, key)
        return
    with engine.begin() as conn:
        conn.execute(
            update(keys)
            .where(keys.c.key == key)
            .values(state="done", status_code=response.status_code, body=response.get_data(as_text=True))
        )


def _replay(key: str, row: Row) -> Response:
    """The stored response again, marked as a replay."""
    response = Response(row.body, status=row.status_code, mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    response.headers["Idempotency-Key"] = key
    return response
