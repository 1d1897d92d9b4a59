"""The supplier answers the cases it is invited to (/supplier/cases)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("supplier_cases", __name__)
