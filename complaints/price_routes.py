"""The price monitor's findings and its button (/regulator/price-flags)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from complaints.models import CASE_CATEGORY_TITLES, CASE_STATE_TITLES, Case, CaseCategory, CaseKind
from complaints.price_monitor import evidence_text, run_monitor
from core import nav
from core.db import db
from core.forms import BaseForm
from core.i18n import _, _l, join_list, ngettext
from core.permissions import Role, require_role

bp = Blueprint("price_flags", __name__)

nav.add("complaints.price_flags.index", _l("价格监测"), roles=(Role.regulator,), order=44)

#: The categories the monitor opens cases in (the page's filter).
MONITOR_CATEGORIES = (CaseCategory.inflated_price, CaseCategory.price_manipulation)
RULE_TITLES = {
    "inflated": _l("高于同类同档中位价"),
    "raise": _l("列入清单后短期大幅涨价"),
    "concert": _l("多家单位同期同比例调价"),
}


class RunMonitorForm(BaseForm):
    """The button: only the CSRF token."""


def case_url(number: str) -> str:
    """The regulator's case page."""
    return url_for("complaints.regulator.case", number=number)




@bp.route("/regulator/price-flags")
@require_role(Role.regulator)
def index():
    category = request.args.get("category", "")
    query = select(Case).where(Case.kind == CaseKind.monitor)
    if category in {c.value for c in MONITOR_CATEGORIES}:
        query = query.where(Case.category == category)
    else:
        category = ""
    page = db.paginate(query.order_by(Case.received_at.desc(), Case.id.desc()), per_page=20, error_out=False)
    return render_template("complaints/price_flags.html", page=page, category=category, form=RunMonitorForm(),
                           categories={c: CASE_CATEGORY_TITLES[c] for c in MONITOR_CATEGORIES},
                           category_titles=CASE_CATEGORY_TITLES, state_titles=CASE_STATE_TITLES,
                           rule_titles=RULE_TITLES, case_url=case_url, evidence_text=evidence_text)


@bp.route("/regulator/price-flags/run", methods=["POST"])
@require_role(Role.regulator)
def run():
    form = RunMonitorForm()
    if not form.validate_on_submit():
        flash(_("页面已过期，请刷新后重试。"), "danger")
        return redirect(url_for(".index"))
    opened = run_monitor(actor=current_user)
    db.session.commit()
    if opened:
        flash(ngettext("价格监测已运行，新立案 %(num)s 件：%(numbers)s。",
                       "价格监测已运行，新立案 %(num)s 件：%(numbers)s。",
                       len(opened), numbers=join_list(case.number for case in opened)), "success")
    else:
        flash(_("价格监测已运行，没有发现新的价格异常。"), "info")
    return redirect(url_for(".index"))
