"""WebhookEndpoints: create (the only response carrying the whsec_ secret), retrieve, update, list, delete."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, update
from sqlalchemy.engine import Connection

from payments.stub.errors import invalid
from payments.stub.params import HASH, SCALAR, get_bool, get_list, get_str, merge_metadata, reject_unknown
from payments.stub.storage import (
    deliveries,
    get_object,
    insert_object,
    new_id,
    now,
    objects,
    public,
    save_object,
)

CREATE_PARAMS = {
    "url": SCALAR,
    "enabled_events": [SCALAR],
    "description": SCALAR,
    "metadata": HASH,
    "api_version": SCALAR,
}
UPDATE_PARAMS = {
    "url": SCALAR,
    "enabled_events": [SCALAR],
    "description": SCALAR,
    "metadata": HASH,
    "disabled": SCALAR,
}


def create_endpoint(conn: Connection, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/webhook_endpoints; the response is the only one that shows the secret."""
    reject_unknown(params, CREATE_PARAMS)
    endpoint = {
        "id": new_id("we_"),
        "object": "webhook_endpoint",
        "url": _url(params, required=True),
        "enabled_events": _events(params, required=True),
        "description": get_str(params, "description"),
        "metadata": merge_metadata(params),
        "status": "enabled",
        "api_version": get_str(params, "api_version"),
        "created": now(),
        "livemode": False,
        "application": None,
        "_secret": "whsec_" + new_id("", 32),
    }
    insert_object(conn, endpoint)
    return {**public(endpoint), "secret": endpoint["_secret"]}


def update_endpoint(conn: Connection, endpoint_id: str, params: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/webhook_endpoints/{id}: url, events, description, metadata, disabled."""
    reject_unknown(params, UPDATE_PARAMS)
    endpoint = get_object(conn, "webhook_endpoint", endpoint_id, lock=True)
    if "url" in params:
        endpoint["url"] = _url(params, required=True)
    if "enabled_events" in params:
        endpoint["enabled_events"] = _events(params, required=True)
    if "description" in params:
        endpoint["description"] = get_str(params, "description")
    if "disabled" in params:
        endpoint["status"] = "disabled" if get_bool(params, "disabled") else "enabled"
    endpoint["metadata"] = merge_metadata(params, endpoint["metadata"])
    return save_object(conn, endpoint)


def delete_endpoint(conn: Connection, endpoint_id: str) -> dict[str, Any]:
    """DELETE /v1/webhook_endpoints/{id}; its pending deliveries are abandoned."""
    get_object(conn, "webhook_endpoint", endpoint_id, lock=True)
    conn.execute(delete(objects).where(objects.c.id == endpoint_id))
    conn.execute(
        update(deliveries)
        .where(deliveries.c.endpoint_id == endpoint_id, deliveries.c.state == "pending")
        .values(state="abandoned")
    )
    return {"id": endpoint_id, "object": "webhook_endpoint", "deleted": True}


def _url(params: dict[str, Any], *, required: bool) -> str | None:
    """The endpoint URL: absolute http or https on this machine (loopback), so the stub posts nowhere else."""
    value = get_str(params, "url", required=required)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        raise invalid(f"Invalid URL: {value}", param="url", code="url_invalid")
    if not is_loopback(parts.hostname):
        raise invalid(
            f"Invalid URL: {value}: the payment stub delivers webhooks only to this machine "
            "(localhost, 127.0.0.0/8 or ::1).",
            param="url",
            code="url_invalid",
        )
    return value


def is_loopback(host: str) -> bool:
    """localhost, or a literal loopback address (no name is resolved)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _events(params: dict[str, Any], *, required: bool) -> list[str]:
    """enabled_events: event type names or '*'."""
    events = [name for name in get_list(params, "enabled_events") if isinstance(name, str) and name]
    if required and not events:
        raise invalid(
            "Missing required param: enabled_events.", param="enabled_events", code="parameter_missing"
        )
    return events
