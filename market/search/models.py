"""The search outbox: index changes recorded in the database with the transaction that caused them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, now_utc


class SearchOutbox(db.Model):
    """One product whose index entry must be refreshed (added, updated or removed).

    Rows are written in the same transaction as the change, and deleted by the single index writer
    once the index holds the new state; a worker killed in between loses nothing (the row stays).
    No foreign key: a deleted product must still be removed from the index.
    """

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(Integer, index=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, nullable=False)

    def __repr__(self) -> str:
        return f"<SearchOutbox {self.id} product={self.product_id}>"
