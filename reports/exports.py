"""Downloads of the reports: CSV (UTF-8 with a BOM, so that Excel opens Chinese correctly), XLSX (openpyxl: a
header row, column widths, number formats for money and shares) and the JSON of the command line.

A report becomes a list of `Sheet`s (a title, typed columns, rows of plain values); the writers only format
them. Money stays integer fen until the writer: the CSV shows yuan with two decimals, the XLSX stores yuan as a
number formatted `#,##0.00`. Shares are fractions (0.1234): "12.34%" in the CSV, `0.00%` in the XLSX. Text from
people (township names) cannot become a formula (core.spreadsheet).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal

from flask import Response
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from catalog.models import DEVICE_TYPE_TITLES, TIER_TITLES
from core.clock import to_shanghai
from core.i18n import _
from core.spreadsheet import safe_cell
from registry.districts.models import HOUSEHOLD_CATEGORY_TITLES
from reports.monthly import CityReport, DistrictReport, Line, Ranking

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMATS = ("csv", "xlsx")


@dataclass(frozen=True)
class Column:
    label: str
    #: "text", "int", "money" (integer fen), "price" (fen, possibly fractional: a median or mean), "share".
    kind: str = "int"


@dataclass
class Sheet:
    title: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)
    #: Lines printed above the table (the district, the month, where the figures come from).
    heading: list[str] = field(default_factory=list)


# --- the figures and their labels -----------------------------------------------------------------------------

def flow_figures() -> list[tuple[str, str]]:
    """The per-line counts shown for the month and to its end, with their labels (in the reader's language)."""
    return [("placed", _("已下单")), ("paid", _("已支付")), ("installed", _("已安装")), ("confirmed", _("已确认")),
            ("inspected_passed", _("验收合格")), ("inspected_failed", _("验收不合格")), ("canceled", _("已取消")),
            ("refunded", _("已退款")), ("devices_platform", _("平台安装设备")),
            ("devices_outside", _("平台外登记设备"))]


def money_figures() -> list[tuple[str, str]]:
    return [("subsidy_committed_fen", _("已承诺补贴（元）")), ("subsidy_paid_fen", _("应拨付补贴（元）"))]


def case_figures() -> list[tuple[str, str]]:
    return [("complaints_received", _("收到的投诉举报")), ("complaints_accepted", _("已受理")),
            ("complaints_closed", _("已办结")), ("complaints_closed_on_time", _("按期办结")),
            ("alarms_opened", _("新增报警")), ("alarms_closed", _("已关闭的报警"))]


def moment_figures() -> list[tuple[str, str]]:
    """Figures of a moment: the month's end (overdue cases) or now (device states)."""
    return [("complaints_overdue", _("月末逾期未办结")), ("devices_active", _("设备正常（当前）")),
            ("devices_alarm", _("设备报警（当前）")), ("devices_offline", _("设备离线（当前）")),
            ("devices_fault", _("设备故障（当前）"))]


def heading(report, place: str) -> list[str]:
    """Who, which month, where the figures come from."""
    as_of = to_shanghai(report.as_of).strftime("%Y-%m-%d %H:%M")
    source = (_("数据来源：每日汇总表，汇总于 %(time)s（北京时间）", time=as_of) if report.source == "rollup"
              else _("数据来源：业务数据实时统计，截至 %(time)s（北京时间）", time=as_of))
    lines = [_("%(place)s %(month)s 月统计通报", place=place, month=str(report.month)), source]
    if report.partial:
        lines.append(_("本月尚未结束，本月数据为截至目前的数字。"))
    return lines


def _line_columns(first: list[Column]) -> list[Column]:
    columns = list(first)
    for _name, label in flow_figures():
        columns += [Column(_("%(figure)s（本月）", figure=label)), Column(_("%(figure)s（累计）", figure=label))]
    for _name, label in money_figures():
        columns += [Column(_("%(figure)s（本月）", figure=label), "money"),
                    Column(_("%(figure)s（累计）", figure=label), "money")]
    return columns + [Column(_("已覆盖户数（累计）")), Column(_("目标户数")), Column(_("覆盖率"), "share")]


def _line_values(line: Line) -> list:
    values = []
    for name, _label in flow_figures() + money_figures():
        values += [line.m(name), line.t(name)]
    return values + [line.t("covered"), line.target, line.coverage]


def _summary_sheet(report, place: str) -> Sheet:
    sheet = Sheet(_("汇总"), [Column(_("指标"), "text"), Column(_("本月")), Column(_("累计"))],
                  heading=heading(report, place))
    line = report.summary
    for name, label in flow_figures() + case_figures():
        sheet.rows.append([label, line.m(name), line.t(name)])
    for name, label in money_figures():
        sheet.rows.append([label, Money(line.m(name)), Money(line.t(name))])
    for name, label in moment_figures():
        sheet.rows.append([label, line.m(name), line.t(name)])
    sheet.rows.append([_("已覆盖户数"), line.m("covered"), line.t("covered")])
    sheet.rows.append([_("目标户数"), None, line.target])
    sheet.rows.append([_("覆盖率"), None, Share(line.coverage)])
    return sheet


def _price_sheet(report) -> Sheet:
    sheet = Sheet(_("价格统计"), [Column(_("设备类型"), "text"), Column(_("档次"), "text"), Column(_("订单数")),
                             Column(_("最低价（元）"), "money"), Column(_("中位价（元）"), "price"),
                             Column(_("平均价（元）"), "price"), Column(_("最高价（元）"), "money")])
    for p in report.prices:
        sheet.rows.append([str(DEVICE_TYPE_TITLES.get(p.device_type, p.device_type)),
                           str(TIER_TITLES.get(p.tier, p.tier)), p.orders, p.min_fen, p.median_fen, p.mean_fen,
                           p.max_fen])
    return sheet


class Money(int):
    """A fen amount in a column that is not all money (the summary)."""


class Share(float):
    """A fraction in a column that is not all shares; None stays None."""

    def __new__(cls, value):
        return None if value is None else super().__new__(cls, value)


def district_sheets(report: DistrictReport) -> list[Sheet]:
    place = report.district.name
    sheets = [_summary_sheet(report, place)]
    township = Sheet(_("按街道乡镇"), _line_columns([Column(_("街道/乡镇"), "text")]))
    for line in report.townships:
        township.rows.append([line.label or _("未填写街道"), *_line_values(line)])
    category = Sheet(_("按用户类别"), _line_columns([Column(_("用户类别"), "text"), Column(_("重点用户"), "text")]))
    for line in report.categories:
        category.rows.append([str(HOUSEHOLD_CATEGORY_TITLES.get(line.key, line.key)),
                              _("是") if line.priority else _("否"), *_line_values(line)])
    device_type = Sheet(_("按设备类型"), _line_columns([Column(_("设备类型"), "text")]))
    for line in report.device_types:
        device_type.rows.append([str(DEVICE_TYPE_TITLES.get(line.key, line.key)), *_line_values(line)])
    coverage = Sheet(_("目标覆盖"), [Column(_("用户类别"), "text"), Column(_("重点用户"), "text"),
                                    Column(_("街道/乡镇"), "text"), Column(_("目标户数")), Column(_("已覆盖户数")),
                                    Column(_("覆盖率"), "share")])
    for row in report.coverage:
        coverage.rows.append([str(HOUSEHOLD_CATEGORY_TITLES.get(row.category, row.category)),
                              _("是") if row.priority else _("否"), row.township or _("未填写街道"), row.target,
                              row.covered, row.coverage])
    return sheets + [township, category, device_type, coverage, _price_sheet(report)]


def city_sheets(report: CityReport) -> list[Sheet]:
    sheets = [_summary_sheet(report, _("重庆市"))]
    columns = _line_columns([Column(_("区县代码"), "text"), Column(_("区县"), "text")])
    columns += [Column(_("重点用户目标户数")), Column(_("重点用户已覆盖（累计）")),
                Column(_("重点用户覆盖率"), "share")]
    columns += [Column(_("%(figure)s（本月）", figure=label)) for _n, label in case_figures()]
    columns += [Column(label) for _n, label in moment_figures()]
    districts = Sheet(_("各区县"), columns)
    for line in report.districts:
        districts.rows.append([line.code, line.label, *_line_values(line), line.priority_target,
                               line.t("priority_covered"), line.priority_coverage,
                               *(line.m(n) for n, _l in case_figures()), *(line.m(n) for n, _l in moment_figures())])
    city = report.summary
    priority_target = sum(line.priority_target for line in report.districts)
    districts.rows.append(["", _("全市合计"), *_line_values(city), priority_target, city.t("priority_covered"),
                           (round(city.t("priority_covered") / priority_target, 4) if priority_target else None),
                           *(city.m(n) for n, _l in case_figures()), *(city.m(n) for n, _l in moment_figures())])
    return sheets + [districts, _price_sheet(report)]


def ranking_sheets(ranking: Ranking) -> list[Sheet]:
    sheet = Sheet(_("排名"), [Column(_("重点用户覆盖率排名")), Column(_("较上月变化")), Column(_("区县代码"), "text"),
                             Column(_("区县"), "text"), Column(_("重点用户目标户数")), Column(_("重点用户已覆盖")),
                             Column(_("重点用户覆盖率"), "share"), Column(_("按期办结排名")),
                             Column(_("较上月变化")), Column(_("按期办结率"), "share"), Column(_("本月办结")),
                             Column(_("月末逾期"))],
                  heading=[_("重庆市 %(month)s 各区县排名", month=str(ranking.month))])
    for row in ranking.rows:
        line = row.line
        sheet.rows.append([row.coverage_rank, row.coverage_change, line.code, line.label, line.priority_target,
                           line.t("priority_covered"), line.priority_coverage, row.on_time_rank, row.on_time_change,
                           line.on_time_rate, line.m("complaints_closed"), line.m("complaints_overdue")])
    return [sheet]


def coverage_sheets(document: dict) -> list[Sheet]:
    sheet = Sheet(_("覆盖率"), [Column(_("排名")), Column(_("区县代码"), "text"), Column(_("区县"), "text"),
                               Column(_("目标户数")), Column(_("已覆盖户数")), Column(_("覆盖率"), "share"),
                               Column(_("重点用户目标户数")), Column(_("重点用户已覆盖")),
                               Column(_("重点用户覆盖率"), "share")],
                  heading=[_("重庆市 %(month)s 各区县燃气安全装置覆盖情况", month=document["month"])])
    for d in document["districts"]:
        sheet.rows.append([d["rank"], d["code"], d["name"], d["target"], d["installed"], d["coverage"],
                           d["priority_target"], d["priority_installed"], d["priority_coverage"]])
    return [sheet]


# --- writers ---------------------------------------------------------------------------------------------------

def _csv_value(value, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Money) or kind in ("money", "price") and not isinstance(value, str):
        return f"{Decimal(str(value)) / 100:.2f}"
    if isinstance(value, Share) or kind == "share":
        return f"{value * 100:.2f}%"
    if isinstance(value, (int, float)):
        return str(value)
    return safe_cell(value)


def csv_bytes(sheets: list[Sheet]) -> bytes:
    """The sheets one after another (a blank row between), UTF-8 with a BOM."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for number, sheet in enumerate(sheets):
        if number:
            writer.writerow([])
        for line in sheet.heading:
            writer.writerow([safe_cell(line)])
        writer.writerow([safe_cell(sheet.title)])
        writer.writerow([safe_cell(c.label) for c in sheet.columns])
        for row in sheet.rows:
            writer.writerow([_csv_value(v, c.kind) for v, c in zip(row, sheet.columns, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


_SHEET_NAME_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def _xlsx_cell(cell, value, kind: str) -> None:
    if value is None:
        cell.value = None
    elif isinstance(value, Money) or kind in ("money", "price") and not isinstance(value, str):
        cell.value = Decimal(str(value)) / 100
        cell.number_format = "#,##0.00"
    elif isinstance(value, Share) or kind == "share":
        cell.value = float(value)
        cell.number_format = "0.00%"
    elif isinstance(value, (int, float)):
        cell.value = value
        cell.number_format = "#,##0"
    else:
        cell.value = safe_cell(value)


def _width(text) -> int:
    """Columns wide enough for their longest text (a Chinese character is two)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def xlsx_bytes(sheets: list[Sheet]) -> bytes:
    """One worksheet per sheet: the heading lines, a bold header row (frozen), typed cells, column widths."""
    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for sheet in sheets:
        ws = book.create_sheet(sheet.title.translate(_SHEET_NAME_FORBIDDEN)[:31] or "Sheet")
        for line in sheet.heading:
            ws.append([safe_cell(line)])
        header_row = len(sheet.heading) + 1
        for col, column in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=header_row, column=col, value=safe_cell(column.label))
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        widths = [min(max(_width(c.label) // 2 + 2, 8), 40) for c in sheet.columns]
        for r, row in enumerate(sheet.rows, start=header_row + 1):
            for col, (value, column) in enumerate(zip(row, sheet.columns, strict=True), start=1):
                _xlsx_cell(ws.cell(row=r, column=col), value, column.kind)
                if column.kind == "text" and value is not None:
                    widths[col - 1] = min(max(widths[col - 1], _width(value) + 2), 40)
        for col, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def download(sheets: list[Sheet], fmt: str, stem: str) -> Response:
    """The sheets as an attachment `<stem>.csv` / `<stem>.xlsx`; ValueError for another format."""
    if fmt == "csv":
        body, mimetype = csv_bytes(sheets), CSV_TYPE
    elif fmt == "xlsx":
        body, mimetype = xlsx_bytes(sheets), XLSX_TYPE
    else:
        raise ValueError(fmt)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={stem}.{fmt}"
    response.headers["Cache-Control"] = "no-store"
    return response


# --- JSON (the command line) -----------------------------------------------------------------------------------

def _line_dict(line: Line, key_name: str) -> dict:
    return {key_name: line.key, "name": line.label, "month": dict(line.month), "total": dict(line.total),
            "target": line.target, "coverage": line.coverage}


def report_dict(report: DistrictReport | CityReport) -> dict:
    """The report as JSON-ready data (keys in English, money in fen, shares as fractions)."""
    out = {"month": str(report.month), "source": report.source, "as_of": report.as_of.isoformat(),
           "partial": report.partial, "summary": _line_dict(report.summary, "key"),
           "prices": [vars(p) for p in report.prices]}
    if isinstance(report, DistrictReport):
        out["district"] = {"code": report.district.code, "name": report.district.name,
                           "name_en": report.district.name_en}
        out["townships"] = [_line_dict(line, "township_id") for line in report.townships]
        out["categories"] = [_line_dict(line, "category") for line in report.categories]
        out["device_types"] = [_line_dict(line, "device_type") for line in report.device_types]
        out["coverage"] = [{"category": r.category, "township": r.township, "target": r.target,
                            "covered": r.covered, "coverage": r.coverage} for r in report.coverage]
    else:
        out["districts"] = [dict(_line_dict(line, "code"), name_en=line.name_en,
                                 priority_target=line.priority_target, priority_coverage=line.priority_coverage,
                                 on_time_rate=line.on_time_rate) for line in report.districts]
    return out


def json_text(report) -> str:
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2, sort_keys=True)
