"""State changes of the payments package (they flush, never commit)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import db
from payments.models import ProcessedWebhookEvent
from payments.signals import payment_event_received


def already_processed(event_id: str) -> bool:
    """Whether an event with this id was recorded before."""
    query = select(ProcessedWebhookEvent.id).where(ProcessedWebhookEvent.event_id == event_id)
    return db.session.execute(query).first() is not None


def process_webhook_event(event: dict[str, Any]) -> bool:
    """Record a verified event once and tell the listeners; False (nothing done) for a known event."""
    # A concurrent duplicate passes this check and then fails on the unique event_id (IntegrityError).
    if already_processed(event["id"]):
        return False
    db.session.add(ProcessedWebhookEvent(event_id=event["id"], type=event["type"], payload=event))
    db.session.flush()
    payment_event_received.send(event["type"], event=event)
    db.session.flush()
    return True
