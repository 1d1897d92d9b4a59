"""Typical cases published by regulators, anonymised (/cases/typical)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("typical", __name__)
