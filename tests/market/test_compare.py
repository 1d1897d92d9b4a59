"""/compare: 2–4 listed products side by side, differences flagged, kept in the session, never a 500."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

import re

import pytest

from market.compare import build_comparison
from tests.market.search_factories import catalog_data, listing  # noqa: F401
from tests.market.test_product_page import policy, verified_resident


def test_compare_table_content(client, catalog_data):
    a, b = catalog_data["alarm_mid"], catalog_data["alarm_low"]
    page = client.get(f"/compare?ids={a.id},{b.id}").get_data(as_text=True)
    for text in ("JT-BX200", "JT-BX100", "一氧化碳浓度检测", "¥399.00", "¥259.00", "¥449.00", "CERT-JT-BX200",
                 "有效期至", "24 个月", "中档", "低档"):
        assert text in page, text
    assert page.count('class="row-diff"') >= 3  # tier, price, features that differ


def test_differences_are_flagged_per_row(catalog_data):
    table = build_comparison([catalog_data["alarm_mid"], catalog_data["alarm_low"]])
    rows = {r.label: r for r in table.feature_rows}
    assert rows["一氧化碳浓度检测"].differs and rows["一氧化碳浓度检测"].cells == [True, False]
    assert not rows["甲烷浓度检测"].differs
    assert {r.label: r.differs for r in table.rows}["质保"] is False


def test_net_price_row_for_a_verified_household(client, as_user, catalog_data):
    policy()
    verified_resident(as_user)
    a, b = catalog_data["alarm_mid"], catalog_data["alarm_com"]
    page = client.get(f"/compare?ids={a.id},{b.id}").get_data(as_text=True)
    assert "补贴后应付" in page and "¥249.00" in page


@pytest.mark.parametrize("ids", ["", "abc", "99999997", "0,,x,99999", "99999999999999", "-1,-2", "%FF",
                                 "99999998," * 50])
def test_bad_ids_give_a_friendly_page(client, catalog_data, ids):
    response = client.get("/compare", query_string={"ids": ids})
    assert response.status_code == 200
    assert "请选择 2 到 4 个" in response.get_data(as_text=True)


def test_unlisted_products_are_left_out(client, catalog_data):
    a, gone = catalog_data["alarm_mid"], catalog_data["unlisted"]
    page = client.get(f"/compare?ids={a.id},{gone.id}").get_data(as_text=True)
    assert "JT-XX999" not in page and "已略去" in page


def test_add_and_remove_are_kept_in_the_session(client, catalog_data):
    d = catalog_data
    for key in ("alarm_mid", "alarm_low", "alarm_com", "valve_low", "valve_high"):
        client.post("/compare/add", data={"product_id": d[key].id, "next": "/search"})
    with client.session_transaction() as session:
        assert session["compare_ids"] == [d[k].id for k in ("alarm_mid", "alarm_low", "alarm_com", "valve_low")]
    page = client.get("/compare").get_data(as_text=True)
    assert "ZB-15A" in page and "ZB-25H" not in page
    client.post("/compare/remove", data={"product_id": d["alarm_low"].id})
    page = client.get("/compare").get_data(as_text=True)
    assert "JT-BX100" not in page and "JT-BX200" in page
    response = client.post("/compare/add", data={"product_id": d["unlisted"].id, "next": "//evil.example"})
    assert response.status_code == 302 and response.headers["Location"] == "/compare"
    client.post("/compare/remove", data={})
    with client.session_transaction() as session:
        assert session["compare_ids"] == []


def test_compare_forms_carry_csrf_tokens(csrf_app, catalog_data):
    client = csrf_app.test_client()
    page = client.get(f"/products/{catalog_data['alarm_mid'].id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/compare/add", data={"product_id": catalog_data["alarm_mid"].id}).status_code == 400
    ok = client.post("/compare/add", data={"product_id": catalog_data["alarm_mid"].id, "csrf_token": token})
    assert ok.status_code == 302


def test_compare_shows_no_subsidy_for_a_product_listed_elsewhere(client, as_user, catalog_data):
    policy(device_type="self_closing_valve")
    verified_resident(as_user)
    low, high = catalog_data["valve_low"], catalog_data["valve_high"]
    page = client.get(f"/compare?ids={low.id},{high.id}").get_data(as_text=True)
    assert page.count("¥200.00") == 1  # the subsidy cell of ZB-15A only
