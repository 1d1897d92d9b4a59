"""Every figure of the monthly report against the hand-built dataset (tests/reports/factories.py), computed live
and from the rollup; the Asia/Shanghai month boundary; the ranking and the coverage document."""

from __future__ import annotations

import pytest

from core.db import db
from reports import monthly, rollup
from reports.months import Month
from tests.conftest import district
from tests.reports.factories import build

NOV, DEC, OCT = Month(2026, 11), Month(2026, 12), Month(2026, 10)


@pytest.fixture
def data():
    return build()


@pytest.fixture(params=["live", "rollup"])
def source(request, data):
    """Each test runs twice: computed from the domain tables, and read from a freshly built rollup."""
    if request.param == "rollup":
        rollup.refresh()
        db.session.commit()
    return request.param


def test_month_bounds_are_shanghai_months():
    assert NOV.start.isoformat() == "2026-10-31T16:00:00+00:00"
    assert NOV.end.isoformat() == "2026-11-30T16:00:00+00:00"
    assert Month.parse("2026-12") == DEC and DEC.next() == Month(2027, 1) and Month(2027, 1).previous() == DEC
    for bad in ("2026-13", "2026-1", "26-11", "2026/11", "", None, "2026-11-01", "abcd-ef", "1999-12"):
        assert Month.parse(bad) is None


def test_november_district_figures(data, source):
    report = monthly.district_report(district("500103"), NOV)
    assert report.source == source and not report.partial
    month = report.summary.month
    assert {k: month[k] for k in ("placed", "paid", "installed", "confirmed", "inspected_passed",
                                  "inspected_failed", "canceled", "refunded", "covered", "devices_platform",
                                  "devices_outside")} == {
        "placed": 3, "paid": 2, "installed": 2, "confirmed": 2, "inspected_passed": 1, "inspected_failed": 1,
        "canceled": 2, "refunded": 1, "covered": 2, "devices_platform": 2, "devices_outside": 1}
    # C's subsidy was committed and taken back by its cancellation; A's is paid on its passed inspection
    assert month["subsidy_committed_fen"] == 0 and month["subsidy_paid_fen"] == 10000
    assert {k: month[k] for k in ("complaints_received", "complaints_accepted", "complaints_closed",
                                  "complaints_closed_on_time", "complaints_overdue", "alarms_opened",
                                  "alarms_closed")} == {
        "complaints_received": 2, "complaints_accepted": 1, "complaints_closed": 1, "complaints_closed_on_time": 1,
        "complaints_overdue": 1, "alarms_opened": 1, "alarms_closed": 1}
    assert (month["devices_active"], month["devices_offline"]) == (2, 1)  # A's valve and G active, E's offline


def test_cumulative_figures_include_earlier_months(data, source):
    total = monthly.district_report(district("500103"), NOV).summary.total
    assert (total["placed"], total["paid"], total["installed"], total["covered"]) == (4, 3, 2, 2)
    assert total["subsidy_committed_fen"] == 10000  # A's, paid in October and never canceled
    assert total["target"] == 19 and total["priority_target"] == 14 and total["priority_covered"] == 2
    october = monthly.district_report(district("500103"), OCT).summary
    assert (october.m("placed"), october.m("paid"), october.m("installed")) == (1, 1, 0)
    assert october.m("subsidy_committed_fen") == 10000


def test_an_order_at_1630_utc_on_30_november_belongs_to_december(data, source):
    november = monthly.district_report(district("500103"), NOV).summary
    december = monthly.district_report(district("500103"), DEC)
    assert data.orders["D"].created_at.isoformat().startswith("2026-11-30T16:30")
    assert december.source == "live"  # the current month is never read from the rollup
    assert (december.summary.m("placed"), december.summary.m("paid")) == (1, 1)
    assert december.summary.m("subsidy_committed_fen") == 5000
    assert (december.summary.t("placed"), december.summary.t("paid")) == (5, 4)
    assert november.m("placed") == 3


def test_breakdowns_by_township_category_and_device_type(data, source):
    report = monthly.district_report(district("500103"), NOV)
    towns = {line.label: line for line in report.townships}
    assert set(towns) == {"解放碑街道", "七星岗街道"}
    jiefangbei, qixinggang = towns["解放碑街道"], towns["七星岗街道"]
    assert (jiefangbei.m("placed"), jiefangbei.m("installed"), jiefangbei.t("covered")) == (1, 2, 1)
    assert (qixinggang.m("placed"), qixinggang.m("canceled"), qixinggang.t("covered")) == (2, 2, 1)
    assert (towns["解放碑街道"].target, towns["七星岗街道"].target) == (15, 4)

    categories = [line.key for line in report.categories]
    assert categories == ["old_community", "registered_poor", "low_income", "other"]  # priority households first
    by_cat = {line.key: line for line in report.categories}
    assert by_cat["old_community"].priority and not by_cat["other"].priority
    assert (by_cat["old_community"].m("installed"), by_cat["old_community"].t("covered")) == (1, 1)
    assert (by_cat["low_income"].m("placed"), by_cat["low_income"].t("covered")) == (1, 1)  # C placed; G covered
    assert by_cat["other"].m("placed") == 2
    assert by_cat["low_income"].coverage == 0.25 and by_cat["old_community"].coverage == 0.1

    types = {line.key: line for line in report.device_types}
    assert types["self_closing_valve"].m("placed") == 1 and types["leak_alarm"].m("placed") == 2
    assert types["self_closing_valve"].m("devices_outside") == 1


def test_coverage_rows_priority_first(data, source):
    rows = monthly.district_report(district("500103"), NOV).coverage
    assert [(r.category, r.township, r.target, r.covered) for r in rows] == [
        ("old_community", "解放碑街道", 10, 1), ("low_income", "七星岗街道", 4, 1),
        ("other", "解放碑街道", 5, 0)]  # E failed its inspection: not covered
    assert rows[0].priority and not rows[-1].priority
    assert rows[1].coverage == 0.25


def test_price_statistics(data, source):
    prices = {(p.device_type, p.tier): p for p in monthly.district_report(district("500103"), NOV).prices}
    alarm = prices[("leak_alarm", "mid")]
    assert (alarm.orders, alarm.min_fen, alarm.max_fen, alarm.median_fen, alarm.mean_fen) == (2, 32800, 87000,
                                                                                            59900, 59900)
    valve = prices[("self_closing_valve", "low")]
    assert (valve.orders, valve.min_fen, valve.median_fen, valve.max_fen) == (1, 19900, 19900, 19900)
    assert set(prices) == {("leak_alarm", "mid"), ("self_closing_valve", "low")}


def test_the_other_district_is_kept_apart(data, source):
    jiangbei = monthly.district_report(district("500105"), NOV).summary
    assert (jiangbei.m("placed"), jiangbei.m("installed"), jiangbei.t("covered"), jiangbei.m("complaints_received")) \
        == (1, 1, 1, 1)
    assert jiangbei.coverage == 0.125


def test_city_report_one_line_per_district(data, source):
    city = monthly.city_report(NOV)
    assert len(city.districts) == 41
    lines = {line.code: line for line in city.districts}
    assert lines["500103"].m("placed") == 3 and lines["500105"].m("placed") == 1
    assert lines["500101"].m("placed") == 0 and lines["500101"].coverage is None
    assert city.summary.m("placed") == 4 and city.summary.t("placed") == 5
    assert lines["500103"].priority_coverage == round(2 / 14, 4)
    assert lines["500103"].on_time_rate == 0.5  # one closed on time, one overdue
    assert lines["500105"].on_time_rate == 0.0  # its one case was overdue at the month's end
    city_prices = {(p.device_type, p.tier): p.orders for p in city.prices}
    assert city_prices[("self_closing_valve", "low")] == 2  # C, and F in 江北区


def test_ranking_and_change_since_last_month(data, source):
    ranked = monthly.ranking(NOV)
    first = ranked.rows[0]
    assert first.line.code == "500103" and first.coverage_rank == 1
    assert first.coverage_change == 0  # first in October too (the only district with a priority target)
    by_code = {row.line.code: row for row in ranked.rows}
    assert by_code["500105"].coverage_rank is None  # no priority households to cover
    assert (by_code["500103"].on_time_rank, by_code["500105"].on_time_rank) == (1, 2)


def test_coverage_document(data, source):
    document = monthly.coverage_document(NOV)
    assert document["month"] == "2026-11" and len(document["districts"]) == 41
    top = document["districts"][0]
    assert top == {"code": "500103", "name": "渝中区", "target": 19, "installed": 2, "coverage": round(2 / 19, 4),
                   "priority_target": 14, "priority_installed": 2, "priority_coverage": round(2 / 14, 4),
                   "rank": 1}


def test_future_month_is_refused(data):
    with pytest.raises(monthly.MonthNotAvailable):
        monthly.city_report(Month.current().next())


def test_competition_ranks():
    assert monthly.competition_ranks({"a": 0.5, "b": 0.5, "c": 0.2, "d": None}) == {"a": 1, "b": 1, "c": 3,
                                                                                    "d": None}


def test_refresh_twice_leaves_the_same_rollup(data):
    first = rollup.refresh()
    db.session.commit()
    before = monthly.district_report(district("500103"), NOV).summary
    second = rollup.refresh()
    db.session.commit()
    after = monthly.district_report(district("500103"), NOV).summary
    assert first.cells == second.cells and before.month == after.month and before.total == after.total
    assert (str(first.first_month), str(first.last_month)) == ("2026-10", str(Month.current().previous()))
