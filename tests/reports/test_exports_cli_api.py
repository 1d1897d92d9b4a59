"""CSV / XLSX / JSON of the reports read back, the `report` commands and their errors, `GET /api/v1/coverage`."""

from __future__ import annotations

import csv
import io
import json

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from reports import exports, monthly
from reports.months import Month
from tests.conftest import district
from tests.reports.factories import ADDRESS, NAME, PHONE, build

NOV = Month(2026, 11)


@pytest.fixture
def data():
    return build()


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def _find(rows, first: str) -> list[str]:
    return next(row for row in rows if row and row[0] == first)


def test_district_csv_has_every_table_with_the_figures(app, data):
    with app.test_request_context("/?lang=zh_CN"):
        body = exports.csv_bytes(exports.district_sheets(monthly.district_report(district("500103"), NOV)))
    rows = _csv_rows(body)
    assert rows[0] == ["渝中区 2026-11 月统计通报"]
    assert _find(rows, "已下单") == ["已下单", "3", "4"]
    assert _find(rows, "已承诺补贴（元）") == ["已承诺补贴（元）", "0.00", "100.00"]
    assert _find(rows, "应拨付补贴（元）") == ["应拨付补贴（元）", "100.00", "100.00"]
    assert _find(rows, "覆盖率")[-1] == "10.53%"  # 2 of 19
    for title in ("按街道乡镇", "按用户类别", "按设备类型", "目标覆盖", "价格统计"):
        assert [title] in rows
    assert _find(rows, "七星岗街道")[1:3] == ["2", "2"]  # placed this month, and to its end
    price = _find(rows, "可燃气体探测器") if any(r and r[0] == "可燃气体探测器" for r in rows) else None
    assert price is None or price[2] == "2"
    body_text = body.decode("utf-8-sig")
    assert ADDRESS not in body_text and PHONE not in body_text and NAME not in body_text


def test_english_labels(app, data):
    with app.test_request_context("/?lang=en"), force_locale("en"):
        rows = _csv_rows(exports.csv_bytes(exports.city_sheets(monthly.city_report(NOV))))
    assert "Chongqing" in rows[0][0] and "2026-11" in rows[0][0]
    assert not any("已下单" in cell for row in rows for cell in row)


def test_formula_text_is_neutralised(app, data):
    data.qixinggang.name = "=HYPERLINK(\"http://evil.example\")"
    from core.db import db
    db.session.commit()
    with app.test_request_context("/"):
        sheets = exports.district_sheets(monthly.district_report(district("500103"), NOV))
        rows = _csv_rows(exports.csv_bytes(sheets))
        book = load_workbook(io.BytesIO(exports.xlsx_bytes(sheets)))
    assert any(row and row[0].startswith("'=HYPERLINK") for row in rows)
    values = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith("=") for v in values)


def test_xlsx_header_widths_and_number_formats(app, data):
    with app.test_request_context("/?lang=zh_CN"):
        body = exports.xlsx_bytes(exports.district_sheets(monthly.district_report(district("500103"), NOV)))
    book = load_workbook(io.BytesIO(body))
    assert book.sheetnames == ["汇总", "按街道乡镇", "按用户类别", "按设备类型", "目标覆盖", "价格统计"]
    summary = book["汇总"]
    header = next(r for r in range(1, 6) if summary.cell(r, 1).value == "指标")
    assert summary.cell(header, 1).font.bold
    committed = next(r for r in range(header, summary.max_row + 1) if summary.cell(r, 1).value == "已承诺补贴（元）")
    assert float(summary.cell(committed, 3).value) == 100.0 and summary.cell(committed, 3).number_format == "#,##0.00"
    prices = book["价格统计"]
    assert [c.value for c in prices[1]][:3] == ["设备类型", "档次", "订单数"]
    alarm_row = next(row for row in prices.iter_rows(min_row=2) if row[2].value == 2)
    assert float(alarm_row[4].value) == 599.0 and alarm_row[4].number_format == "#,##0.00"  # the median, in yuan
    coverage = book["目标覆盖"]
    share = next(row for row in coverage.iter_rows(min_row=2) if row[3].value == 4)
    assert share[5].value == 0.25 and share[5].number_format == "0.00%"
    assert prices.column_dimensions["A"].width >= 8 and prices.freeze_panes == "A2"


def test_ranking_and_coverage_sheets(app, data):
    with app.test_request_context("/"):
        ranking_rows = _csv_rows(exports.csv_bytes(exports.ranking_sheets(monthly.ranking(NOV))))
        coverage_rows = _csv_rows(exports.csv_bytes(exports.coverage_sheets(monthly.coverage_document(NOV))))
    first = next(row for row in ranking_rows if len(row) > 3 and row[2] == "500103")
    assert first[0] == "1" and first[6] == "14.29%" and first[9] == "50.00%"
    top = next(row for row in coverage_rows if len(row) > 2 and row[1] == "500103")
    assert top == ["1", "500103", "渝中区", "19", "2", "10.53%", "14", "2", "14.29%"]


# --- the command line -------------------------------------------------------------------------------------------

def test_cli_json_and_csv(app, data):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "monthly", "--district", "500103", "--month", "2026-11",
                                 "--format", "json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["district"]["code"] == "500103" and body["month"] == "2026-11"
    assert body["summary"]["month"]["placed"] == 3 and body["summary"]["total"]["placed"] == 4
    assert [c["category"] for c in body["categories"]][:3] == ["old_community", "registered_poor", "low_income"]
    result = runner.invoke(args=["report", "monthly", "--city", "--month", "2026-11", "--format", "csv"])
    assert result.exit_code == 0 and "渝中区" in result.stdout and result.stdout_bytes.startswith(b"\xef\xbb\xbf")


def test_cli_xlsx_to_a_file(app, data, tmp_path):
    out = tmp_path / "city.xlsx"
    result = app.test_cli_runner().invoke(args=["report", "monthly", "--city", "--month", "2026-11", "--format",
                                                "xlsx", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "各区县" in load_workbook(out).sheetnames


@pytest.mark.parametrize(("args", "message"), [
    (["--district", "999999", "--month", "2026-11"], "no district has the code '999999'"),
    (["--district", "500103", "--month", "2026-13"], "'2026-13' is not a month"),
    (["--district", "500103", "--month", "11-2026"], "is not a month"),
    (["--city", "--month", "2099-01"], "has not begun yet"),
    (["--month", "2026-11"], "give either --district CODE or --city"),
    (["--city", "--district", "500103"], "give either --district CODE or --city"),
    (["--city", "--format", "pdf"], "Invalid value for '--format'"),
])
def test_cli_errors_are_one_clear_line(app, data, args, message):
    result = app.test_cli_runner().invoke(args=["report", "monthly", *args])
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_refresh(app, data):
    result = app.test_cli_runner().invoke(args=["report", "refresh"])
    assert result.exit_code == 0 and "report rollup rebuilt: 2026-10 to" in result.output
    assert monthly.city_report(NOV).source == "rollup"


# --- GET /api/v1/coverage -------------------------------------------------------------------------------------

def test_coverage_api(client, data):
    response = client.get("/api/v1/coverage?month=2026-11")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"month", "districts"} and body["month"] == "2026-11" and len(body["districts"]) == 41
    top = body["districts"][0]
    assert set(top) == {"code", "name", "target", "installed", "coverage", "priority_target", "priority_installed",
                        "priority_coverage", "rank"}
    assert (top["code"], top["installed"], top["rank"], top["priority_coverage"]) == ("500103", 2, 1, 0.1429)
    text = response.get_data(as_text=True)
    assert ADDRESS not in text and PHONE not in text and NAME not in text and "报表居民" not in text


def test_coverage_api_defaults_to_the_current_month(client, data):
    assert client.get("/api/v1/coverage").get_json()["month"] == str(Month.current())


@pytest.mark.parametrize("month", ["2026-13", "abc", "2026-1", "2099-01", "2026-11-01", "%E4%B8%80"])
def test_coverage_api_refuses_bad_months(client, data, month):
    response = client.get(f"/api/v1/coverage?month={month}")
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "month"


def test_coverage_api_refuses_a_nul_byte(client, data):
    assert client.get("/api/v1/coverage?month=%00").status_code == 400


def test_coverage_in_the_openapi_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/coverage"]["get"]
    assert operation["operationId"] == "getCoverage" and "security" not in operation
    schema = document["components"]["schemas"]["DistrictCoverage"]
    assert set(schema["required"]) == {"code", "name", "target", "installed", "coverage", "priority_target",
                                       "priority_installed", "priority_coverage", "rank"}
