"""Personal data on screen (SPEC 8, PIPL): masking for everyone else, and an audit entry for every unmasked view.

The whole API:
- `mask_name("张三丰")` → "张**"; `mask_address("渝中区解放碑街道民族路 1 号")` → "渝中区解放碑****";
  `mask_phone("13800138000")` → "138****8000" (core.crypto). Each gives "" for an empty value.
- `record_view(viewer, subject_user_id, target, fields)`: call it whenever a page shows `fields` of
  `target` unmasked to `viewer`. It writes the audit entry "personal_data.viewed" (naming the fields,
  never their values) unless the viewer is the subject, and flushes; the route commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from core import audit
from core.crypto import mask_phone, mask_text

__all__ = ["VIEWED", "mask_address", "mask_name", "mask_phone", "record_view"]

#: The audit action of an unmasked view.
VIEWED = "personal_data.viewed"
#: How many characters of an address stay visible (district and street).
ADDRESS_KEEP = 6


def mask_name(name: str | None) -> str:
    """Keep the first character (the family name) and hide the rest: 张** ("张" alone stays "张*")."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_address(address: str | None) -> str:
    """Keep the first ADDRESS_KEEP characters (district, street) and hide the rest behind ****."""
    return mask_text((address or "").strip(), keep=ADDRESS_KEEP)


def record_view(viewer, subject_user_id: int | None, target, fields: Iterable[str]) -> bool:
    """Audit that `viewer` saw `fields` of `target` (whose personal data is `subject_user_id`'s) unmasked.

    Returns True when an entry was written, False when the viewer is the subject (or nothing was shown).
    """
    fields = sorted(set(fields))
    if not fields or (subject_user_id is not None and getattr(viewer, "id", None) == subject_user_id):
        return False
    audit.record(viewer, VIEWED, target, {}, extra={"subject_user_id": subject_user_id, "fields": fields})
    return True
