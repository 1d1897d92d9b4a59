"""Payment records of the app: provider events already processed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, now_utc


class ProcessedWebhookEvent(db.Model):
    """A provider event id handled once; the unique constraint makes a replayed event a no-op."""

    __tablename__ = "processed_webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The provider's event id (evt_...).
    event_id: Mapped[str] = mapped_column(String(255), unique=True, nullable=False)
    type: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
