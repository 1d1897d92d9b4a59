"""The price monitor's findings and its button (/regulator/price-flags)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("price_flags", __name__)
