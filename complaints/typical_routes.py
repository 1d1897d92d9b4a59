"""Typical cases (典型案例) published by regulators, anonymised [正文 五(四) 定期公布典型案例]: /cases/typical."""

from __future__ import annotations

from flask import Blueprint, render_template

from complaints.models import CASE_CATEGORY_TITLES, SANCTION_KIND_TITLES
from complaints.queries import typical_cases
from core import nav
from core.i18n import _l

bp = Blueprint("typical", __name__)

nav.add_footer("complaints.typical.page", _l("典型案例"), order=21)


@bp.route("/cases/typical")
def page():
    """Only what the regulator wrote for publication, the category, the company and the sanctions: never the
    complainant, the description they filed, their files or contact details."""
    return render_template("complaints/typical.html", cases=typical_cases(), category_titles=CASE_CATEGORY_TITLES,
                           sanction_titles=SANCTION_KIND_TITLES)
