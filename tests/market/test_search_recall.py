"""What residents type finds the devices the policy names, best first; brand names stay whole words."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from catalog.models import DeviceType, Product, Tier
from core.db import db
from market.search import index, query
from market.search.params import SearchParams
from tests.market.search_factories import ALARM_LOW, VALVE_HIGH, listing, make_product, make_supplier  # noqa: F401

HOUSEHOLD_CO = ["methane_detection", "co_detection", "interlock_shutoff_wired", "passive_identifier",
                "active_identifier", "status_collection", "valve_state_collection", "concentration_collection",
                "transmission_wired", "notify_phone"]


@pytest.fixture
def shop(listing):
    """A small realistic catalogue: household and commercial alarms, valves, brands 渝安 and 山城安."""
    yuan = make_supplier("重庆渝安燃气设备安装有限公司", ("500103", "500105"))
    shan = make_supplier("山城安全技术服务有限公司", ("500103",))
    p = {
        "home_alarm": make_product(yuan, "YA-JB200", brand="渝安", features=HOUSEHOLD_CO, price_fen=32900),
        "home_alarm_low": make_product(shan, "SCA-B10", brand="山城安", tier=Tier.low, features=ALARM_LOW,
                                       price_fen=19900),
        "shop_alarm": make_product(yuan, "YA-SY900", brand="渝安", usage="commercial", tier=Tier.high,
                                   price_fen=129900),
        "valve": make_product(shan, "SCA-ZBF25", brand="山城安", device_type=DeviceType.self_closing_valve,
                              tier=Tier.high, features=VALVE_HIGH, price_fen=45900),
        "valve_low": make_product(yuan, "YA-ZB15", brand="渝安", device_type=DeviceType.self_closing_valve,
                                  tier=Tier.low, price_fen=16900),
    }
    for product in p.values():
        listing.put(product, "500103", commit=False)
    db.session.commit()
    return p


def found(q: str) -> list[int]:
    return query.search(SearchParams(q=q, per_page=50)).ids


def kinds(shop, ids: list[int]) -> list[str]:
    names = {p.id: k for k, p in shop.items()}
    return [names[i] for i in ids]


ALARMS = {"home_alarm", "home_alarm_low", "shop_alarm"}
VALVES = {"valve", "valve_low"}


@pytest.mark.parametrize("q", ["可燃气体", "可燃气体泄漏报警装置", "可燃", "kerangqiti", "keranqiti", "燃气泄漏报警",
                               "报警器", "detector", "alarm", "探测器"])
def test_the_policy_names_of_leak_alarms_find_them(shop, q):
    assert set(kinds(shop, found(q))) == ALARMS


@pytest.mark.parametrize("q", ["切断阀", "阀门", "valve", "自闭阀", "zbf"])
def test_valve_words_rank_valves_first(shop, q):
    results = kinds(shop, found(q))
    assert set(results[:2]) == VALVES, results


@pytest.mark.parametrize("q", ["餐饮", "酒店", "商用", "单位", "commercial", "饭店 报警器"])
def test_businesses_find_commercial_alarms_first(shop, q):
    assert kinds(shop, found(q))[0] == "shop_alarm"


@pytest.mark.parametrize(("english", "chinese"), [("detector", "探测器"), ("alarm", "报警器"), ("valve", "阀门"),
                                                  ("shut-off", "切断"), ("commercial", "商用"), ("household", "家用")])
def test_english_labels_find_what_their_chinese_finds(shop, english, chinese):
    assert found(english) and set(found(english)) == set(found(chinese))
    first = [db.session.get(Product, found(q)[0]) for q in (english, chinese)]
    assert first[0].device_type == first[1].device_type and first[0].usage == first[1].usage


def test_shut_off_valve_puts_valves_first(shop):
    assert set(kinds(shop, found("shut-off valve"))[:2]) == VALVES


def test_household_finds_household_alarms_only(shop):
    assert set(kinds(shop, found("household"))) == {"home_alarm", "home_alarm_low"}


@pytest.mark.parametrize(("q", "expected"), [("渝安", {"home_alarm", "shop_alarm", "valve_low"}),
                                             ("山城安", {"home_alarm_low", "valve"}),
                                             ("渝安 商用", {"shop_alarm"}), ("山城安 自闭阀", {"valve"})])
def test_brands_are_whole_words(shop, q, expected):
    assert set(kinds(shop, found(q))) == expected


def test_brand_names_are_dictionary_words_shared_through_the_index_folder(app, shop):
    with open(os.path.join(index.index_dir(), index.WORDS_FILE), encoding="utf-8") as handle:
        assert {"渝安", "山城安"} <= set(json.load(handle))
    cut = [t.text for t in index.SCHEMA["title"].analyzer("山城安 自闭阀", mode="query")]
    assert "山城安" in cut and "安" not in cut


_QUERY_ONLY = """
import sys
from flask import Flask
from market.search import index, query
app = Flask("reader")
app.config["SEARCH_INDEX_DIR"] = sys.argv[1]
with app.app_context():
    searcher = index.searcher()
    q = query.text_query("山城安")
    print(repr(q))
    print(len(searcher.search(q, limit=None)))
"""


def test_a_process_that_only_queries_cuts_names_as_the_writer_did(app, shop):
    # A fresh process that never indexed anything: it learns 山城安 when its searcher opens.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", _QUERY_ONLY, app.config["SEARCH_INDEX_DIR"]], cwd=root,
                         capture_output=True, text=True, timeout=120, check=True).stdout.splitlines()
    assert "'山城安'" in out[0] and "chars" not in out[0]
    assert out[1] == "2"


def test_a_new_brand_recuts_the_products_that_already_mention_it(shop, listing):
    # 安渝 is in a supplier's name before any product carries it as a brand.
    supplier = make_supplier("重庆安渝燃气工程有限公司", ("500103",))
    first = make_product(supplier, "AY-1", brand="宏图")
    listing.put(first, "500103")
    second = make_product(supplier, "AY-2", brand="安渝")
    listing.put(second, "500103")
    assert set(found("安渝")) == {first.id, second.id}


def test_single_characters_still_find_and_common_ones_stay_out_of_word_fields(shop):
    assert set(kinds(shop, found("阀"))) >= VALVES
    with index.get_index().searcher() as s:
        assert not s.reader().doc_frequency("title", "安")
        assert s.reader().doc_frequency("chars", "安") == len(shop)


def test_a_company_name_does_not_turn_a_valve_into_an_alarm(listing):
    supplier = make_supplier("重庆报警器与居民燃气服务有限公司", ("500103",))
    valve = make_product(supplier, "BJQ-ZB1", brand="护安", device_type=DeviceType.self_closing_valve)
    alarm = make_product(supplier, "BJQ-JB1", brand="护安", usage="commercial")
    listing.put(valve, "500103", commit=False)
    listing.put(alarm, "500103")
    assert found("探测器") == [alarm.id]
    assert found("household") == []
    assert set(found("报警器")) == {alarm.id, valve.id}  # the company's own name still finds all it sells
    assert found("报警器")[0] == alarm.id
