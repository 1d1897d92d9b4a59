"""The report pages (SPEC 3.7): a district's monthly report for its officials, the city report and the district
ranking for regulators, and the public coverage of every district — each as a page, a CSV and an XLSX file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from babel.dates import format_skeleton
from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from catalog.models import DEVICE_TYPE_TITLES, TIER_TITLES
from core import nav
from core.db import db
from core.districts import District, all_districts
from core.i18n import _, _l
from core.permissions import Role, require_role
from core.web import error_response
from registry.districts.models import HOUSEHOLD_CATEGORY_TITLES
from reports import charts, compute, exports, monthly
from reports.forms import ReportMonthForm
from reports.months import Month

bp = Blueprint("reports", __name__)

nav.add("reports.coverage", _l("安装覆盖率"), public=True, order=35)
nav.add("reports.official", _l("月度统计"), roles=(Role.district_official,), order=61)
nav.add("reports.city", _l("全市统计"), roles=(Role.regulator,), order=45)
nav.add("reports.ranking", _l("区县排名"), roles=(Role.regulator, Role.district_official), order=46)


#: The figures of the report, in the order the pages show them (keys of reports.monthly.Line).
#: The labels read like the downloads' (reports.exports); msgids that other packages use for another meaning (取消
#: "Cancel", 受理 "Accept" ...) are avoided: the reports catalogue is merged last and would override theirs.
ORDER_FIGURES = (("placed", _l("已下单")), ("paid", _l("已支付")), ("installed", _l("已安装")),
                 ("confirmed", _l("已确认")), ("inspected_passed", _l("验收合格")),
                 ("inspected_failed", _l("验收不合格")), ("canceled", _l("已取消")), ("refunded", _l("已退款")))
DEVICE_FIGURES = (("devices_platform", _l("平台安装设备")), ("devices_outside", _l("平台外登记设备")))
SUBSIDY_FIGURES = (("subsidy_committed_fen", _l("已承诺补贴")), ("subsidy_paid_fen", _l("应拨付补贴")))
COMPLAINT_FIGURES = (("complaints_received", _l("收到的投诉举报")), ("complaints_accepted", _l("已受理")),
                     ("complaints_closed", _l("已办结")), ("complaints_closed_on_time", _l("按期办结")))
ALARM_FIGURES = (("alarms_opened", _l("新增报警")), ("alarms_closed", _l("已关闭的报警")))
STATE_FIGURES = (("devices_active", _l("正常")), ("devices_alarm", _l("报警中")), ("devices_offline", _l("离线")),
                 ("devices_fault", _l("故障")))


def month_title(month: Month) -> str:
    """2026年12月 / December 2026."""
    return format_skeleton("yMMMM", month.first_day, locale=get_locale() or "zh_CN")


def township_title(label: str) -> str:
    """A township's name; orders and devices that name none are gathered under one label."""
    return label or _("未填写街道")


@bp.context_processor
def _helpers():
    return {"category_titles": HOUSEHOLD_CATEGORY_TITLES, "device_titles": DEVICE_TYPE_TITLES,
            "tier_titles": TIER_TITLES, "priority_categories": compute.PRIORITY, "percent": charts.percent,
            "number": charts.number, "month_title": month_title, "township_title": township_title,
            "order_figures": ORDER_FIGURES, "device_figures": DEVICE_FIGURES, "subsidy_figures": SUBSIDY_FIGURES,
            "complaint_figures": COMPLAINT_FIGURES, "alarm_figures": ALARM_FIGURES, "state_figures": STATE_FIGURES}


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def _wanted_format() -> str | None:
    """"html", "csv" or "xlsx" as `?format=` asks; None for anything else."""
    fmt = request.args.get("format", "") or "html"
    return fmt if fmt in ("html", *exports.FORMATS) else None


def _page(template: str, form: ReportMonthForm, build, sheets, stem: str, **context):
    """Validate the month, build the report and answer it as a page or a download (400 for a bad month or
    format, with the page saying why)."""
    fmt = _wanted_format()
    if fmt is None:
        return error_response(400, _("不支持的下载格式：请选择 CSV 或 XLSX。"))
    problem = None
    if form.validate():
        month = form.chosen_month()
        try:
            report = build(month)
        except monthly.MonthNotAvailable:
            problem = _("%(month)s 尚未到来：只能查看本月和以前各月的统计。", month=str(month))
    else:
        problem = " ".join(str(e) for e in form.month.errors) or _("请求无法处理，请检查输入后重试。")
    if problem is not None:
        return render_template(template, form=form, report=None, problem=problem, month=None, **context), 400
    if fmt != "html":
        return exports.download(sheets(report), fmt, f"{stem}-{month}")
    links = _month_links(month, context.get("district"))
    return render_template(template, form=form, report=report, problem=None, month=month, **links, **context)


def _month_links(month: Month, district: District | None) -> dict:
    args = {"district": district.code} if district is not None else {}
    current = Month.current()
    endpoint = request.endpoint

    def link(to: Month | None, **extra) -> str | None:
        return url_for(endpoint, month=str(to), **args, **extra) if to is not None else None

    earliest = Month.parse(str(month.previous())) is None  # no report before reports.months.FIRST_YEAR
    return {"previous_url": None if earliest else link(month.previous()),
            "next_url": link(month.next() if month < current else None),
            "downloads": {fmt: link(month, format=fmt) for fmt in exports.FORMATS}, "current_month": current}


# --- the district report ------------------------------------------------------------------------------------

def _official_districts() -> list[District]:
    ids = current_user.district_ids(Role.district_official)
    return list(db.session.scalars(select(District).where(District.id.in_(ids or [-1])).order_by(District.code)))


def _chosen_district(districts: list[District]) -> District:
    """The district `?district=` names among the official's own (the first by default): 403 for another
    district's code, 404 for a code that names none."""
    code = request.args.get("district", "").strip()
    if not code:
        return districts[0]
    for district in districts:
        if district.code == code:
            return district
    if db.session.scalar(select(District.id).where(District.code == code)) is None:
        abort(404)
    abort(403)


@bp.get("/official/reports")
@require_role(Role.district_official)
def official():
    districts = _official_districts() or abort(403)
    district = _chosen_district(districts)
    form = ReportMonthForm(request.args)
    form.district.choices = [(d.code, d.display_name(_locale())) for d in districts]
    form.district.data = district.code
    return _page("reports/district.html", form, lambda month: monthly.district_report(district, month),
                 exports.district_sheets, f"report-{district.code}",
                 district=district, districts=districts, charts=_district_charts, coverage_groups=_coverage_groups)


def _coverage_groups(report: monthly.DistrictReport) -> list[tuple[str, list[monthly.CoverageRow]]]:
    """The coverage rows by household category, in the report's order (priority households first)."""
    return [(category, list(rows)) for category, rows in groupby(report.coverage, key=lambda row: row.category)]


def _district_charts(report: monthly.DistrictReport) -> dict:
    """The coverage of each township, and the month's orders by step."""
    coverage = [charts.Bar(township_title(line.label), (line.coverage,),
                           _("%(percent)s（%(covered)s / %(target)s 户）", percent=charts.percent(line.coverage),
                             covered=charts.number(line.t("covered")), target=charts.number(line.target))
                           if line.target else _("未设目标（已覆盖 %(covered)s 户）",
                                                 covered=charts.number(line.t("covered"))))
                for line in report.townships]
    steps = [charts.Bar(str(title), (float(report.summary.m(key)),), charts.number(report.summary.m(key)))
             for key, title in ORDER_FIGURES]
    return {
        "coverage": charts.bar_chart(
            coverage, title=_("各街道（乡镇）覆盖率"),
            description=_("已覆盖户数占目标户数的比例，按街道（乡镇），截至所选月份月末。"),
            empty=_("本区县尚未设置街道（乡镇）。")),
        "steps": charts.bar_chart(
            steps, kind="count", title=_("本月订单各环节数量"),
            description=_("所选月份内下单、支付、安装、确认、验收、取消和退款的订单数。")),
    }


# --- the city report and the ranking ------------------------------------------------------------------------

def district_name(line: monthly.DistrictLine) -> str:
    return line.name_en if _locale().startswith("en") and line.name_en else line.label


@bp.get("/regulator/reports")
@require_role(Role.regulator)
def city():
    form = ReportMonthForm(request.args)
    return _page("reports/city.html", form, monthly.city_report, exports.city_sheets,
                 "report-city", district_name=district_name, charts=_city_charts)


def _city_charts(report: monthly.CityReport) -> dict:
    """Priority coverage of the districts that have priority targets, highest first."""
    lines = sorted((line for line in report.districts if line.priority_coverage is not None),
                   key=lambda line: (-(line.priority_coverage or 0), line.code))
    bars = [charts.Bar(district_name(line), (line.priority_coverage,), charts.percent(line.priority_coverage))
            for line in lines]
    return {"priority": charts.bar_chart(
        bars, title=_("各区县重点户覆盖率"),
        description=_("老旧小区居民、建档贫困户和城镇低保户中已安装燃气安全装置的比例，按区县，从高到低。"),
        empty=_("还没有区县设定重点户目标。")),
        "unranked": len(report.districts) - len(lines)}


@bp.get("/regulator/ranking")
@require_role(Role.regulator, Role.district_official)
def ranking():
    form = ReportMonthForm(request.args)
    own = {d.code for d in _official_districts()}
    return _page("reports/ranking.html", form, monthly.ranking,
                 exports.ranking_sheets, "ranking", own=own,
                 district_name=district_name, by_on_time=_by_on_time)


def _by_on_time(ranking: monthly.Ranking) -> list[monthly.RankedDistrict]:
    return sorted(ranking.rows, key=lambda r: (r.on_time_rank is None, r.on_time_rank or 0, r.line.code))


# --- the public coverage ------------------------------------------------------------------------------------

@dataclass
class CoveragePage:
    """The public coverage document with where its figures come from (the city report it was made of)."""

    month: Month
    source: str
    as_of: datetime
    document: dict


def _coverage_page(month: Month) -> CoveragePage:
    city_report = monthly.city_report(month)
    return CoveragePage(month=month, source=city_report.source, as_of=city_report.as_of,
                        document=monthly.coverage_document(month, city_report))


@bp.get("/reports/coverage")
def coverage():
    form = ReportMonthForm(request.args)
    names = {d.code: d.display_name(_locale()) for d in all_districts()}
    return _page("reports/coverage.html", form, _coverage_page, lambda page: exports.coverage_sheets(page.document),
                 "coverage", names=names, charts=lambda page: _coverage_chart(page.document, names))


def _coverage_chart(document: dict, names: dict[str, str]):
    """The ranked districts (those with targets) as bars: priority households, and all households."""
    rows = [row for row in document["districts"] if row["coverage"] is not None or row["priority_coverage"] is not None]
    bars = [charts.Bar(names.get(row["code"], row["name"]), (row["priority_coverage"], row["coverage"]),
                       _("重点户 %(priority)s · 全部 %(all)s", priority=charts.percent(row["priority_coverage"]),
                         all=charts.percent(row["coverage"])))
            for row in rows]
    return {"chart": charts.bar_chart(
        bars, title=_("各区县燃气安全装置安装覆盖率排名"),
        description=_("按重点户覆盖率从高到低排列；每个区县两条：重点户覆盖率和全部用户覆盖率。"),
        series=(_("重点户覆盖率"), _("全部用户覆盖率")), empty=_("还没有区县设定覆盖目标。")),
        "unranked": len(document["districts"]) - len(rows)}
