"""The label tables list pages show a snapshot with (public and official pages alike)."""

from __future__ import annotations

from catalog.models import CERTIFICATE_KIND_TITLES, DEVICE_TYPE_TITLES, TIER_TITLES, USAGE_TITLES
from catalog.tiers import FEATURE_LABELS
from registry.lists.models import ANNOUNCEMENT_KIND_TITLES

TITLES = {"tier": TIER_TITLES, "device_type": DEVICE_TYPE_TITLES, "usage": USAGE_TITLES,
          "feature": FEATURE_LABELS, "certificate": CERTIFICATE_KIND_TITLES, "kind": ANNOUNCEMENT_KIND_TITLES}
