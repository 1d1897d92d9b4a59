"""The device-type filter of a district's list (/districts/{code}?device_type=&usage=), the advisor's target."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from core.db import db
from registry.lists.models import ListVersion
from tests.conftest import district

VALVE = {"device_type": "self_closing_valve", "usage": None}
HOME_ALARM = {"device_type": "leak_alarm", "usage": "household"}
SHOP_ALARM = {"device_type": "leak_alarm", "usage": "commercial"}


def product(pid: int, kind: dict, tier="low", price=19900) -> dict:
    return {"id": pid, **kind, "tier": tier, "brand": "山城", "model": f"M-{pid}", "price_fen": price,
            "install_fee_fen": 5000, "early_price_fen": None, "early_price_until": None, "warranty_months": 24,
            "smart": False, "features": [], "standards": [], "certificates": []}


def supplier(sid: int, *products: dict) -> dict:
    return {"id": sid, "name": f"安装公司{sid}", "credit_code": "91500000000000000X", "qualification": "资质",
            "qualification_level": "二级", "contact_person": "张", "phone": "023-60000000", "address": "渝中区",
            "service_content": "上门安装", "products": list(products)}


@pytest.fixture
def listed():
    """A published list: one supplier with valves and household alarms, one with commercial alarms only."""
    snapshot = {"suppliers": [supplier(1, product(11, VALVE), product(12, HOME_ALARM, "mid")),
                              supplier(2, product(21, SHOP_ALARM, "high"))]}
    db.session.add(ListVersion(district_id=district("500103").id, number=1, snapshot=snapshot, problems=[],
                               published_at=datetime(2026, 3, 1, tzinfo=UTC)))
    db.session.commit()


def products_on(page: str) -> list[str]:
    return re.findall(r'href="/products/(\d+)"', page)


def get(client, query: str = "") -> str:
    response = client.get("/districts/500103" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_without_a_filter_every_product_shows(client, listed):
    page = get(client)
    assert products_on(page) == ["11", "12", "21"]
    assert 'aria-current="true" href="/districts/500103"' in page


@pytest.mark.parametrize(("query", "shown", "label"), [
    ("?device_type=self_closing_valve", ["11"], "安全自闭阀"),
    ("?device_type=leak_alarm&usage=household", ["12"], "家用燃气泄漏报警装置"),
    ("?device_type=leak_alarm&usage=commercial", ["21"], "商用燃气泄漏报警装置"),
    ("?device_type=leak_alarm", ["12", "21"], "燃气泄漏报警装置"),
    ("?usage=commercial", ["21"], "商用燃气泄漏报警装置"),  # a usage means an alarm
])
def test_the_filter_keeps_only_matching_products_and_says_so(client, listed, query, shown, label):
    page = get(client, query)
    assert products_on(page) == shown
    assert f"只显示：{label}。" in page
    assert "显示全部产品" in page


def test_a_supplier_without_matching_products_drops_out(client, listed):
    page = get(client, "?device_type=leak_alarm&usage=commercial")
    assert "安装公司2" in page and "安装公司1" not in page
    assert "1 家单位有此类产品。" in page


def test_the_chosen_filter_is_marked_current(client, listed):
    page = get(client, "?device_type=leak_alarm&usage=household")
    assert re.search(r'btn-primary" aria-current="true" href="/districts/500103\?device_type=leak_alarm'
                     r'&amp;usage=household"', page)


@pytest.mark.parametrize(("query", "shown", "message"), [
    ("?device_type=boiler", ["11", "12", "21"], "筛选条件无法识别，已忽略，下面显示全部产品。"),
    ("?device_type=self_closing_valve&usage=%E5%AE%B6", ["11"], "部分筛选条件无法识别，已忽略。"),
    ("?device_type=self_closing_valve&usage=household", ["11"], "部分筛选条件无法识别，已忽略。"),
    ("?device_type=" + "x" * 3000 + "&usage=", ["11", "12", "21"], "筛选条件无法识别"),
])
def test_unknown_filter_values_are_ignored_with_a_message(client, listed, query, shown, message):
    page = get(client, query)
    assert products_on(page) == shown and message in page


def test_no_matching_product_says_so(client):
    db.session.add(ListVersion(district_id=district("500103").id, number=1, problems=[],
                               snapshot={"suppliers": [supplier(1, product(11, VALVE))]}))
    db.session.commit()
    page = get(client, "?device_type=leak_alarm&usage=commercial")
    assert products_on(page) == [] and "本区县清单上暂时没有此类产品。" in page


def test_filter_in_english(client, listed):
    page = get(client, "?device_type=leak_alarm&usage=household&lang=en")
    assert "Show only:" in page and "All products" in page and "Filter the list" in page
    assert "Showing only: household gas leak alarm." in page


def test_the_filter_of_an_unpublished_district_is_harmless(client):
    assert client.get("/districts/500105?device_type=boiler").status_code == 200
