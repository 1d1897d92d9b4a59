"""Sanctions against a supplier (/regulator/suppliers/{id}/sanctions)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sanctions", __name__)
