"""Query semantics of the search index: Chinese words, model numbers, pinyin, synonyms, filters, sort, pages."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

import pytest

from market.search import query
from market.search.params import SearchParams, parse_params
from tests.market.search_factories import catalog_data, listing  # noqa: F401 - fixtures


def ids(data, **params):
    return query.search(SearchParams(**params)).ids


def keys(data, found):
    names = {p.id: k for k, p in data.items()}
    return {names[i] for i in found}


@pytest.mark.parametrize(("q", "expected"), [
    ("一氧化碳", {"alarm_mid", "alarm_com"}),
    ("甲烷", {"alarm_mid", "alarm_low", "alarm_com"}),
    ("报警器", {"alarm_mid", "alarm_low", "alarm_com"}),
    ("探测器", {"alarm_mid", "alarm_low", "alarm_com"}),
    ("报警装置", {"alarm_mid", "alarm_low", "alarm_com"}),
    ("自闭阀", {"valve_low", "valve_high"}),
    ("安全自闭阀", {"valve_low", "valve_high"}),
    ("自闭", {"valve_low", "valve_high"}),
    ("商用", {"alarm_com"}),
    ("高档", {"alarm_com", "valve_high"}),
    ("山城燃气", {"valve_low", "valve_high"}),
    ("安燃 一氧化碳", {"alarm_mid", "alarm_com"}),
    ("无线联动切断", {"alarm_mid", "alarm_com"}),
    ("GB 15322.2", {"alarm_mid", "alarm_low", "alarm_com"}),
])
def test_chinese_words_and_synonyms(catalog_data, q, expected):
    assert keys(catalog_data, ids(catalog_data, q=q)) == expected


@pytest.mark.parametrize(("q", "expected"), [
    ("JT-BX200", {"alarm_mid"}),
    ("jt-bx200", {"alarm_mid"}),
    ("JTBX200", {"alarm_mid"}),
    ("JT-BX", {"alarm_mid", "alarm_low"}),
    ("BX1", {"alarm_low"}),
    ("ZB-25", {"valve_high"}),
    ("ＺＢ-15A", {"valve_low"}),
])
def test_model_numbers_whole_and_partial(catalog_data, q, expected):
    assert keys(catalog_data, ids(catalog_data, q=q)) == expected


@pytest.mark.parametrize(("q", "expected"), [
    ("zibifa", {"valve_low", "valve_high"}),
    ("zbf", {"valve_low", "valve_high"}),
    ("baojingqi", {"alarm_mid", "alarm_low", "alarm_com"}),
    ("yiyanghuatan", {"alarm_mid", "alarm_com"}),
])
def test_pinyin_full_and_initials(catalog_data, q, expected):
    assert keys(catalog_data, ids(catalog_data, q=q)) == expected


def test_unlisted_products_are_never_found(catalog_data):
    assert ids(catalog_data, q="JT-XX999") == []
    assert catalog_data["unlisted"].id not in ids(catalog_data, per_page=100)


def test_filters(catalog_data):
    d = catalog_data
    assert keys(d, ids(d, district="500104")) == {"alarm_mid", "alarm_com"}
    assert keys(d, ids(d, device_type="self_closing_valve")) == {"valve_low", "valve_high"}
    assert keys(d, ids(d, usage="commercial")) == {"alarm_com"}
    assert keys(d, ids(d, tier="low")) == {"alarm_low", "valve_low"}
    assert keys(d, ids(d, smart=False)) == {"valve_low"}
    assert keys(d, ids(d, min_price=25900, max_price=59900)) == {"alarm_mid", "alarm_low", "valve_high"}
    assert keys(d, ids(d, q="报警器", district="500103", tier="mid")) == {"alarm_mid"}


def test_sort_by_price_both_ways(catalog_data):
    d = catalog_data
    ascending = ids(d, sort="price")
    prices = [next(p.price_fen for p in d.values() if p.id == i) for i in ascending]
    assert prices == sorted(prices) and len(prices) == 5
    assert ids(d, sort="-price") == list(reversed(ascending))
    assert ids(d, q="报警器", sort="-price")[0] == d["alarm_com"].id


def test_relevance_puts_the_exact_model_first(catalog_data):
    assert ids(catalog_data, q="JT-BX200 报警器")[0] == catalog_data["alarm_mid"].id


def test_pagination_and_page_past_the_end(catalog_data):
    first = query.search(SearchParams(sort="price", per_page=2))
    second = query.search(SearchParams(sort="price", per_page=2, page=2))
    third = query.search(SearchParams(sort="price", per_page=2, page=3))
    beyond = query.search(SearchParams(sort="price", per_page=2, page=40))
    assert first.total == 5 and first.pages == 3
    assert len(first.ids) == 2 and len(second.ids) == 2 and len(third.ids) == 1
    assert not set(first.ids) & set(second.ids)
    assert beyond.ids == [] and beyond.total == 5


@pytest.mark.parametrize("q", ['"报警器', "报警器:", "报警器" * 80, "NOT 报警器", "(报警器"])
def test_query_syntax_around_a_word_is_ignored(catalog_data, q):
    alarms = query.search(SearchParams(q="报警器"))
    result = query.search(SearchParams(q=q))
    assert alarms.total == 3 and (result.total, sorted(result.ids)) == (3, sorted(alarms.ids))


@pytest.mark.parametrize("q", ["AND OR NOT", "*", "(((", "\x00\ufffd", "  "])
def test_a_query_of_only_syntax_is_an_empty_query(catalog_data, q):
    assert query.search(SearchParams(q=q)).ids == query.search(SearchParams()).ids


@pytest.mark.parametrize("q", ["model:JT*", "a" * 500, "JT-BX200^3 ~2"])
def test_odd_syntax_gives_a_consistent_answer(catalog_data, q):
    result = query.search(SearchParams(q=q))
    listed = set(query.search(SearchParams()).ids)
    assert result.total == len(result.ids) and set(result.ids) <= listed


def test_facet_counts(catalog_data):
    result = query.search(SearchParams(district="500103"), with_facets=True)
    assert result.facets["device_type"] == {"leak_alarm": 2, "self_closing_valve": 1}
    # the district facet counts ignore the district filter, so other districts stay visible
    assert result.facets["district"] == {"500103": 3, "500104": 2, "500105": 1}
    assert sum(result.facets["price"].values()) == 3


def test_parse_params_names_the_bad_parameter():
    _params, errors = parse_params({"tier": "gold", "page": "0", "smart": "maybe", "district": "999999"})
    assert {e.field for e in errors} == {"tier", "page", "smart", "district"}
    params, errors = parse_params({"tier": "", "q": " 报警器 ", "per_page": "100"})
    assert errors == [] and params.q == "报警器" and params.per_page == 100 and params.tier is None


def test_highlight_escapes_html():
    marked = query.highlight('<b>报警器</b> & "JT"', ["报警器", "jt"])
    assert str(marked) == '&lt;b&gt;<mark>报警器</mark>&lt;/b&gt; &amp; &#34;<mark>JT</mark>&#34;'
    assert str(query.highlight("<i>x</i>", [])) == "&lt;i&gt;x&lt;/i&gt;"
