"""The label tables list pages show a snapshot with (public and official pages alike)."""

from __future__ import annotations

import threading

from flask_babel import get_locale

from catalog.models import CERTIFICATE_KIND_TITLES, DEVICE_TYPE_TITLES, TIER_TITLES, USAGE_TITLES
from catalog.tiers import FEATURE_LABELS
from registry.lists.models import ANNOUNCEMENT_KIND_TITLES

TITLES = {"tier": TIER_TITLES, "device_type": DEVICE_TYPE_TITLES, "usage": USAGE_TITLES,
          "feature": FEATURE_LABELS, "certificate": CERTIFICATE_KIND_TITLES, "kind": ANNOUNCEMENT_KIND_TITLES}

_resolved: dict[str, dict[str, dict[str, str]]] = {}
_lock = threading.Lock()


def resolved_titles() -> dict[str, dict[str, str]]:
    """TITLES translated into the active locale: plain str tables (str keys), built once per locale and process.

    A page looks up a label per product; a lazy string would be translated on every lookup.
    """
    locale = str(get_locale() or "")
    tables = _resolved.get(locale)
    if tables is None:
        tables = {group: {str(key): str(label) for key, label in table.items()} for group, table in TITLES.items()}
        with _lock:
            _resolved[locale] = tables
    return tables
