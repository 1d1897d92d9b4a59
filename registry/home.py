"""The registry's panel on the home page: districts with a published list, and the latest announcements."""

from __future__ import annotations

from core import home
from core.db import db
from core.districts import all_districts
from registry.lists import queries
from registry.lists.models import ANNOUNCEMENT_KIND_TITLES

LATEST = 5


def panel_context() -> dict:
    """Published districts (with their current version) and the latest announcements."""
    current = queries.current_versions()
    published = [(d, current[d.id]) for d in all_districts() if d.id in current]
    latest = db.session.scalars(queries.announcements_query().limit(LATEST)).all()
    return {"published": published, "district_total": len(all_districts()), "latest": latest,
            "kind_titles": ANNOUNCEMENT_KIND_TITLES}


def register() -> None:
    """Put the panel on the home page."""
    home.add_panel("registry/_home_panel.html", panel_context, order=10)
