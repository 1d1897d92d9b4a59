"""The holiday table an admin extends (/admin/calendar)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("calendar", __name__)
