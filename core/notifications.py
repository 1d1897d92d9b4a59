"""In-app notifications (the inbox), stored as message ids so each reader sees their own language."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, mapped_column

from core.db import db, now_utc
from core.i18n import translate_stored


class Notification(db.Model):
    """A message for one user; `subject`/`body` are msgids marked with N_ and rendered when read."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(String(2000), default="")
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def subject_text(self) -> str:
        return translate_stored(self.subject, self.params)

    @property
    def body_text(self) -> str:
        return translate_stored(self.body, self.params) if self.body else ""


def notify(users: Iterable, subject: str, body: str = "", *, params: dict | None = None,
           link: str | None = None) -> list[Notification]:
    """Send a notification to each distinct user; subject and body are N_() message ids."""
    seen: set[int] = set()
    created = []
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        note = Notification(user_id=user.id, subject=subject, body=body, params=params or {}, link=link)
        db.session.add(note)
        created.append(note)
    db.session.flush()
    return created


def unread_count(user) -> int:
    """How many notifications the user has not read."""
    return db.session.scalar(
        select(func.count()).select_from(Notification).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ) or 0
