"""Events: every state change records one and queues a delivery to each enabled webhook endpoint."""

from __future__ import annotations

import time
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from payments.stub.state import stub_state
from payments.stub.storage import deliveries, insert_object, new_id, now, objects, public

API_VERSION = "2025-01-27.acacia"
CONFIG_ENDPOINT = "config"


def emit(conn: Connection, type_: str, obj: dict[str, Any]) -> dict[str, Any]:
    """Record an event about obj (a snapshot of its public fields) and queue its deliveries."""
    endpoints = matching_endpoints(conn, type_)
    event = {
        "id": new_id("evt_"),
        "object": "event",
        "api_version": _api_version(),
        "created": now(),
        "data": {"object": public(obj)},
        "livemode": False,
        "pending_webhooks": len(endpoints),
        "request": _request_info(),
        "type": type_,
    }
    insert_object(conn, event, ref=obj["id"], event_type=type_)
    moment = time.time()
    for endpoint_id in endpoints:
        conn.execute(
            insert(deliveries).values(
                event_id=event["id"],
                endpoint_id=endpoint_id,
                state="pending",
                attempts=0,
                next_attempt_at=moment,
                created_at=moment,
            )
        )
    if endpoints and has_request_context():
        g.stub_events_emitted = True
    return event


def matching_endpoints(conn: Connection, type_: str) -> list[str]:
    """Ids of the enabled endpoints that listen to this event type, the configured one included."""
    rows = conn.execute(select(objects.c.data).where(objects.c.type == "webhook_endpoint"))
    found = [
        data["id"]
        for data in (row.data for row in rows)
        if data["status"] == "enabled" and ("*" in data["enabled_events"] or type_ in data["enabled_events"])
    ]
    state = stub_state()
    if (state.webhook_url or state.webhook_path) and state.webhook_secret:
        found.append(CONFIG_ENDPOINT)
    return found


def _api_version() -> str:
    """The API version the caller asked for, else the stub's default."""
    if has_request_context():
        return request.headers.get("Stripe-Version") or API_VERSION
    return API_VERSION


def _request_info() -> dict[str, Any]:
    """The request that caused the event, as Stripe reports it."""
    if not has_request_context() or not request.path.startswith("/v1/"):
        return {"id": None, "idempotency_key": None}
    return {"id": g.get("request_id"), "idempotency_key": request.headers.get("Idempotency-Key")}
