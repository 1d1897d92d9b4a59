"""The regulator's workflow: the queue (/regulator/cases) and a case (/regulator/cases/{number})."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("regulator", __name__)
