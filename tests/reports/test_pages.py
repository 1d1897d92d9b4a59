"""The report pages: who may open which, the months they accept, what they show (and never show), the charts,
the print stylesheet and the downloads."""

from __future__ import annotations

import re

import pytest
from flask import render_template_string

from core.config import PROJECT_ROOT
from core.db import db
from core.permissions import Role
from reports import charts, exports, rollup
from reports.months import Month
from tests.conftest import login, make_user
from tests.reports.factories import ADDRESS, NAME, PHONE, build

NOV = Month(2026, 11)
STAFF_PAGES = ("/official/reports", "/regulator/reports", "/regulator/ranking")
ALL_PAGES = (*STAFF_PAGES, "/reports/coverage")


@pytest.fixture
def data():
    return build()


def _page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def _figure_row(html: str, key: str) -> list[str]:
    """The numbers of a summary row (`data-figure="key"`)."""
    row = re.search(rf'<tr data-figure="{key}">(.*?)</tr>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def _viewer(client, data, url: str):
    """Log in someone who may open `url`."""
    if url.startswith("/official/"):
        login(client, data.official)
    elif url.startswith("/regulator/"):
        login(client, data.regulator)


# --- who may open what ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_send_anonymous_users_to_the_login_page(client, data, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.resident, Role.supplier, Role.inspector, Role.admin])
@pytest.mark.parametrize("url", STAFF_PAGES)
def test_staff_pages_refuse_other_roles(client, data, url, role):
    login(client, make_user(role, districts=("500103",) if role == Role.inspector else ()))
    assert client.get(url).status_code == 403
    assert client.get(url + "?format=csv").status_code == 403


def test_a_regulator_is_not_an_official_and_an_official_not_a_regulator(client, data):
    login(client, data.regulator)
    assert client.get("/official/reports").status_code == 403
    login(client, data.official)
    assert client.get("/regulator/reports").status_code == 403
    assert client.get("/regulator/reports?format=xlsx").status_code == 403


def test_an_official_without_a_district_is_refused(client, data):
    login(client, make_user(Role.district_official))
    assert client.get("/official/reports").status_code == 403


def test_each_page_renders_for_its_roles(client, data):
    login(client, data.official)
    assert "data-report-source" in _page(client, f"/official/reports?month={NOV}")
    assert "data-report-source" in _page(client, f"/regulator/ranking?month={NOV}")  # officials see the ranking
    login(client, data.regulator)
    assert "data-report-source" in _page(client, f"/regulator/reports?month={NOV}")
    assert "data-report-source" in _page(client, f"/regulator/ranking?month={NOV}")


def test_the_public_coverage_page_needs_no_login(client, data):
    html = _page(client, f"/reports/coverage?month={NOV}")
    assert 'data-district="500103"' in html and "<svg" in html


def test_the_menus_carry_the_report_pages(client, data):
    assert 'href="/reports/coverage"' in _page(client, "/")
    login(client, data.official)
    home = _page(client, "/")
    assert 'href="/official/reports"' in home and 'href="/regulator/ranking"' in home
    assert 'href="/regulator/reports"' not in home
    login(client, data.regulator)
    home = _page(client, "/")
    assert 'href="/regulator/reports"' in home and 'href="/regulator/ranking"' in home


# --- an official sees their own districts only ------------------------------------------------------------------

def test_an_official_sees_their_district_figures(client, data):
    login(client, data.official)
    html = _page(client, f"/official/reports?month={NOV}")
    assert "渝中区" in html
    assert _figure_row(html, "placed") == ["3", "4"]  # B, C, E in November; A in October; D is December's
    assert _figure_row(html, "canceled") == ["2", "2"]
    assert _figure_row(html, "devices_outside") == ["1", "1"]
    assert _figure_row(html, "subsidy_paid_fen") == ["¥100.00", "¥100.00"]
    assert _figure_row(html, "complaints_overdue") == ["1"]
    assert "七星岗街道" in html and "解放碑街道" in html
    assert 'data-coverage="old_community"' in html
    assert html.index('data-coverage="old_community"') < html.index('data-coverage="other"')  # priority first


def test_the_district_page_never_counts_another_district(client, data):
    """F (江北区) was placed, paid and installed in November: 渝中区's page does not count it."""
    login(client, data.official)
    html = _page(client, f"/official/reports?month={NOV}")
    assert _figure_row(html, "installed") == ["2", "2"]  # A and E; not F
    assert "江北区" not in html


def test_an_official_of_several_districts_chooses_among_them(client, data):
    both = make_user(Role.district_official, districts=("500103", "500105"))
    login(client, both)
    first = _page(client, f"/official/reports?month={NOV}")
    assert "<h1 class=\"h3 mb-1\">渝中区" in first  # the first by code by default
    assert 'id="report-district"' in first  # a choice between the two
    other = _page(client, f"/official/reports?month={NOV}&district=500105")
    assert "<h1 class=\"h3 mb-1\">江北区" in other
    assert _figure_row(other, "placed") == ["1", "1"]  # F only


def test_another_districts_code_is_refused(client, data):
    login(client, data.official)
    for url in ("/official/reports?district=500105", f"/official/reports?district=500105&month={NOV}&format=csv"):
        response = client.get(url)
        assert response.status_code == 403
        assert "data-report-source" not in response.get_data(as_text=True)
    assert client.get("/official/reports?district=NOPE").status_code == 404


# --- months ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("month", ["2026-13", "abc", "2026-1", "2026-00", "1999-12", "2026-11-01", "%E2%80%AE"])
@pytest.mark.parametrize("url", ALL_PAGES)
def test_a_malformed_month_is_a_400_with_a_message(client, data, url, month):
    _viewer(client, data, url)
    html = _page(client, f"{url}?month={month}", 400)
    assert "data-report-problem" in html and "无效" in html
    assert "data-report-source" not in html


@pytest.mark.parametrize("url", ALL_PAGES)
def test_a_future_month_is_a_400_with_a_message(client, data, url):
    _viewer(client, data, url)
    future = Month.current().next()
    html = _page(client, f"{url}?month={future}", 400)
    assert "尚未到来" in html and "data-report-problem" in html
    assert client.get(f"{url}?month={future}&format=csv").status_code == 400


@pytest.mark.parametrize("url", ALL_PAGES)
def test_without_a_month_the_page_shows_the_current_one_to_date(client, data, url):
    _viewer(client, data, url)
    html = _page(client, url)
    assert f'value="{Month.current()}"' in html
    assert "data-report-partial" in html  # the month is not over
    assert 'rel="next"' not in html  # nothing after the current month
    assert f"month={Month.current().previous()}" in html


def test_a_past_month_links_to_its_neighbours(client, data):
    html = _page(client, f"/reports/coverage?month={NOV}")
    assert 'href="/reports/coverage?month=2026-10" rel="prev"' in html
    assert 'href="/reports/coverage?month=2026-12" rel="next"' in html
    assert "data-report-partial" not in html


def test_the_first_month_has_no_previous_link(client, data):
    html = _page(client, "/reports/coverage?month=2000-01")
    assert 'rel="prev"' not in html and 'rel="next"' in html


def test_the_district_links_keep_the_district(client, data):
    login(client, make_user(Role.district_official, districts=("500103", "500105")))
    html = _page(client, f"/official/reports?month={NOV}&district=500105")
    assert "/official/reports?month=2026-10&amp;district=500105" in html
    assert "/official/reports?month=2026-11&amp;district=500105&amp;format=csv" in html


def test_the_page_says_where_the_figures_come_from(client, data):
    login(client, data.official)
    assert 'data-report-source="live"' in _page(client, f"/official/reports?month={NOV}")
    rollup.refresh()
    db.session.commit()
    html = _page(client, f"/official/reports?month={NOV}")
    assert 'data-report-source="rollup"' in html and "每晚汇总" in html
    assert _figure_row(html, "placed") == ["3", "4"]


# --- what the pages show ------------------------------------------------------------------------------------------

def test_the_city_report_has_every_district_and_the_city_total(client, data):
    login(client, data.regulator)
    html = _page(client, f"/regulator/reports?month={NOV}")
    section = html[html.index('id="sec-orders"'):html.index('id="sec-coverage"')]
    assert len(re.findall(r'<tr data-district="[0-9A-Z]+">', section)) == 41
    assert 'data-district="city"' in section
    assert "<svg" in html and 'role="img"' in html


def test_the_ranking_marks_the_officials_district_and_explains_the_arrows(client, data):
    login(client, data.official)
    html = _page(client, f"/regulator/ranking?month={NOV}")
    assert 'class="table-info"' in html and "本区县" in html
    assert 'aria-label="名次不变"' in html or 'aria-label="上月无排名"' in html


def test_the_change_glyphs_have_a_text(app):
    with app.test_request_context("/"):
        html = render_template_string('{% from "reports/_macros.html" import change with context %}'
                                      "{{ change(2) }}|{{ change(-3) }}|{{ change(0) }}|{{ change(none) }}")
    up, down, same, none = html.split("|")
    assert 'aria-label="上升 2 位"' in up and "&uarr;2" in up
    assert 'aria-label="下降 3 位"' in down and "&darr;3" in down
    assert 'aria-label="名次不变"' in same
    assert 'aria-label="上月无排名"' in none


def test_the_pages_render_in_english(client, data):
    login(client, data.official)
    html = _page(client, f"/official/reports?month={NOV}&lang=en")
    assert "Yuzhong District" in html and "November 2026" in html
    login(client, data.regulator)
    assert "Jiangbei District" in _page(client, f"/regulator/reports?month={NOV}&lang=en")
    assert "Jiangbei District" in _page(client, f"/reports/coverage?month={NOV}&lang=en")


@pytest.mark.parametrize("url", ALL_PAGES)
def test_every_page_draws_svg_and_links_the_print_stylesheet(client, data, url):
    _viewer(client, data, url)
    html = _page(client, f"{url}?month={NOV}")
    if url != "/regulator/ranking":  # the ranking is two tables
        assert '<svg xmlns="http://www.w3.org/2000/svg" class="report-chart"' in html
    assert "css/reports.css" in html
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]  # no JavaScript for the charts


def test_the_print_stylesheet_prints_a4_without_the_chrome():
    css = (PROJECT_ROOT / "static" / "css" / "reports.css").read_text(encoding="utf-8")
    printing = css[css.index("@media print"):]
    assert "size: A4 portrait" in printing
    assert "break-inside: avoid" in printing and "body > nav" in printing and "body > footer" in printing
    assert "table-header-group" in printing


@pytest.mark.parametrize("url", ALL_PAGES)
def test_no_personal_data_on_any_report_page(client, data, url):
    _viewer(client, data, url)
    for suffix in ("", "&format=csv"):
        body = client.get(f"{url}?month={NOV}{suffix}").get_data()
        text = body.decode("utf-8-sig")
        assert ADDRESS not in text and PHONE not in text and NAME not in text and "报表居民" not in text
        assert "@example.test" not in text


# --- downloads --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ALL_PAGES)
def test_downloads_answer_csv_and_xlsx(client, data, url):
    _viewer(client, data, url)
    csv_response = client.get(f"{url}?month={NOV}&format=csv")
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    assert csv_response.get_data().startswith(b"\xef\xbb\xbf")
    assert csv_response.headers["Content-Disposition"].endswith(f"-{NOV}.csv")
    xlsx_response = client.get(f"{url}?month={NOV}&format=xlsx")
    assert xlsx_response.status_code == 200
    assert xlsx_response.mimetype == exports.XLSX_TYPE
    assert xlsx_response.get_data()[:2] == b"PK"


@pytest.mark.parametrize("fmt", ["pdf", "CSV", "json", "csv;x"])
@pytest.mark.parametrize("url", ALL_PAGES)
def test_an_unknown_format_is_a_400(client, data, url, fmt):
    _viewer(client, data, url)
    assert client.get(f"{url}?month={NOV}&format={fmt}").status_code == 400


def test_the_page_offers_both_downloads_for_its_month(client, data):
    html = _page(client, f"/reports/coverage?month={NOV}")
    assert 'href="/reports/coverage?month=2026-11&amp;format=csv"' in html
    assert 'href="/reports/coverage?month=2026-11&amp;format=xlsx"' in html


# --- the charts -------------------------------------------------------------------------------------------------

def test_a_chart_escapes_its_labels_and_names_itself(app):
    with app.test_request_context("/"):
        svg = str(charts.bar_chart([charts.Bar("<script>x</script>", (0.5,), "50%"),
                                    charts.Bar("B & C", (None,), "—")],
                                   title="T <1>", description="D"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "B &amp; C" in svg
    assert svg.count("<rect") == 1  # no bar for a missing value
    assert 'role="img"' in svg and "<title" in svg and "T &lt;1&gt;" in svg


def test_a_chart_scales_counts_to_a_round_axis(app):
    with app.test_request_context("/"):
        svg = str(charts.bar_chart([charts.Bar("a", (7.0,), "7"), charts.Bar("b", (3.0,), "3")], kind="count",
                                   title="t", description="d"))
        assert charts.percent(None) == "—" and charts.percent(0.0003) == "0.03%"
    assert ">8</text>" in svg  # the axis ends at 8 for a largest value of 7
    assert charts._nice_top(7) == 8 and charts._nice_top(41) == 80 and charts._nice_top(3) == 4


def test_an_empty_chart_says_so(app):
    with app.test_request_context("/"):
        assert "svg" not in str(charts.bar_chart([], title="t", description="d", empty="nothing"))
