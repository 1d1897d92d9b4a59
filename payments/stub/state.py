"""The stub's per-application state: its engine and webhook delivery settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine


@dataclass
class StubState:
    """What the API, the pages and the delivery worker share."""

    engine: Engine
    #: The configured endpoint's URL (STRIPE_STUB_WEBHOOK_URL), when it is explicit.
    webhook_url: str | None
    webhook_secret: str | None
    retry_base_seconds: float
    retry_max_seconds: float
    give_up_seconds: float
    timeout_seconds: float
    poll_seconds: float
    #: How many endpoints are delivered to at the same time (one pool thread each).
    parallel_endpoints: int = 8
    #: Without an explicit URL: the path (STRIPE_STUB_WEBHOOK_PATH) of the configured endpoint on the server
    #: the stub serves, at the origin its API was last called through (the embedded set-up).
    webhook_path: str | None = None
    #: The server origin this process last recorded (it is written to the database only when it changes).
    recorded_origin: str | None = field(default=None, repr=False)
    worker: Any = field(default=None, repr=False)


def stub_state(app: Flask | None = None) -> StubState:
    """The state of the given (or current) stub application."""
    return (app or current_app).extensions["stripe_stub"]
