"""`GET /api/v1/coverage` (SPEC 3.7): the public coverage figures of every district, no personal data."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from core.i18n import _
from core.web import error_response
from reports import monthly
from reports.months import Month

bp = Blueprint("reports_api", __name__, url_prefix="/api/v1")


def month_arg() -> tuple[Month | None, str | None]:
    """The `month` query argument (default: the current month) or why it is refused."""
    text = request.args.get("month")
    if text is None or text == "":
        return Month.current(), None
    month = Month.parse(text)
    if month is None:
        return None, _("月份应写成 YYYY-MM，例如 2026-11。")
    if month > Month.current():
        return None, _("%(month)s 还没有开始，最近的月份是 %(current)s。", month=str(month),
                       current=str(Month.current()))
    return month, None


@bp.get("/coverage")
def coverage():
    month, problem = month_arg()
    if problem:
        return error_response(400, problem, error_code="bad_request", field="month")
    response = jsonify(monthly.coverage_document(month))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
