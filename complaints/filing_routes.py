"""Filing: a resident's complaint (/complaints/new), anyone's report (/report, /report/track) and the
complainant's own cases (/my/cases)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("filing", __name__)
