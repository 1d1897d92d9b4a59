"""expand[]: replace an id field by the object it names, as Stripe does for these objects, refusing the rest."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from payments.stub.errors import invalid
from payments.stub.storage import deliveries, find_object, public

#: For each object type, the fields that expand and the type of object each names.
EXPANDABLE: dict[str, dict[str, str]] = {
    "payment_intent": {"latest_charge": "charge"},
    "charge": {"payment_intent": "payment_intent"},
    "refund": {"charge": "charge", "payment_intent": "payment_intent"},
    "checkout.session": {"line_items": "line_items", "payment_intent": "payment_intent"},
}
#: Stripe expands at most four levels.
MAX_DEPTH = 4


def check_expand(type_: str, paths: list[str], *, many: bool) -> None:
    """Refuse (400) any path that does not name an expandable field; lists take data.<field>."""
    for path in paths:
        parts = path.split(".")
        if len(parts) > MAX_DEPTH:
            raise invalid(
                f"You cannot expand more than {MAX_DEPTH} levels of a property. Property: {path}",
                param="expand",
            )
        if many:
            if parts[0] != "data" or len(parts) < 2:
                raise _cannot(path)
            parts = parts[1:]
        current = type_
        for part in parts:
            target = EXPANDABLE.get(current, {}).get(part)
            if target is None:
                raise _cannot(path)
            current = target


def expand(conn: Connection, type_: str, body: dict[str, Any], paths: list[str], *, many: bool) -> dict[str, Any]:
    """The response body with the (checked) paths expanded."""
    if many:
        inner = [path.split(".", 1)[1] for path in paths]
        body["data"] = [_expand_object(conn, type_, item, inner) for item in body["data"]]
        return body
    return _expand_object(conn, type_, body, paths)


def _expand_object(conn: Connection, type_: str, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """Expand one object's fields, each with the rest of its paths."""
    by_field: dict[str, list[str]] = {}
    for path in paths:
        field, _, rest = path.partition(".")
        by_field.setdefault(field, [])
        if rest:
            by_field[field].append(rest)
    for field, rest in by_field.items():
        target = EXPANDABLE[type_][field]
        if target == "line_items":
            stored = find_object(conn, type_, obj["id"]) or {}
            items = stored.get("_line_items", [])
            obj[field] = {"object": "list", "url": f"/v1/checkout/sessions/{obj['id']}/line_items",
                          "has_more": False, "data": items}
        elif isinstance(obj.get(field), str):
            found = find_object(conn, target, obj[field])
            if found is not None:
                obj[field] = _expand_object(conn, target, with_pending(conn, public(found)), rest)
    return obj


def with_pending(conn: Connection, obj: dict[str, Any]) -> dict[str, Any]:
    """An event's pending_webhooks as the number of its deliveries still owed (other objects unchanged)."""
    if obj.get("object") == "event":
        obj["pending_webhooks"] = conn.execute(
            select(func.count())
            .select_from(deliveries)
            .where(deliveries.c.event_id == obj["id"], deliveries.c.state == "pending")
        ).scalar_one()
    return obj


def _cannot(path: str):
    """Stripe's error for a path that does not expand."""
    return invalid(f"This property cannot be expanded ({path}).", param="expand")
