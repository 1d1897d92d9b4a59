# stand-in until helper 1 merges (h1-claims owns this module; the lead keeps the real one)
"""Masking of personal data and the audit of every unmasked view (SPEC 8)."""

from __future__ import annotations

from core import audit
from core.crypto import mask_text


def mask_name(text: str | None) -> str:
    """张三丰 → 张**."""
    text = (text or "").strip()
    return text[:1] + "*" * max(len(text) - 1, 1) if text else ""


def mask_address(text: str | None) -> str:
    """The first six characters of an address, then ****."""
    return mask_text(text, keep=6)


def record_view(viewer, subject_user_id: int, target, fields: list[str]) -> None:
    """Audit `personal_data.viewed` when `viewer` sees another person's unmasked `fields` of `target`."""
    if viewer is None or getattr(viewer, "id", None) == subject_user_id:
        return
    audit.record(viewer, "personal_data.viewed", target, extra={"subject_user_id": subject_user_id,
                                                                 "fields": list(fields)})
