"""Market pages in plain language, in both locales, and laid out for phones (filters first, frames that scroll)."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

import re
from html import unescape

import pytest

from catalog.models import CERTIFICATE_KIND_TITLES
from catalog.tiers import FEATURES, RULES
from tests.market.search_factories import catalog_data, listing  # noqa: F401

CODES = {str(f) for f in FEATURES} | {str(k) for k in CERTIFICATE_KIND_TITLES} | {r.id for r in RULES}


def visible_text(page: str) -> str:
    """The text a reader sees: no tags, attributes, scripts; <code> kept out too (the API names its values)."""
    page = re.sub(r"<(script|style|code)\b.*?</\1>", " ", page, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_no_internal_code_is_shown_as_text(client, catalog_data, lang):
    d = catalog_data
    urls = [f"/search?q=报警器&lang={lang}", f"/products/{d['alarm_mid'].id}?lang={lang}",
            f"/compare?ids={d['alarm_mid'].id},{d['alarm_low'].id},{d['alarm_com'].id}&lang={lang}",
            f"/api?lang={lang}"]
    for url in urls:
        text = visible_text(client.get(url).get_data(as_text=True))
        shown = {c for c in CODES if re.search(rf"(?<![\w-]){re.escape(c)}(?![\w-])", text)}
        assert not shown, (url, shown)


def test_api_docs_are_chinese_in_chinese_and_english_in_english(client):
    zh = client.get("/api?lang=zh_CN").get_data(as_text=True)
    assert "在当前公布的目录清单中查找产品" in zh and "全文检索：中文词语、型号（全部或部分）、拼音。" in zh
    assert "Search the products" not in zh and "Full text" not in zh
    assert "<code>co_detection</code>（一氧化碳浓度检测）" in zh  # a value of the API, with its label
    en = client.get("/api?lang=en").get_data(as_text=True)
    assert "Search the products on current published lists" in en and "在当前公布" not in en
    assert 'class="api-path' in zh  # long paths scroll inside their own frame


def test_openapi_json_speaks_the_request_language(client):
    zh = client.get("/api/v1/openapi.json?lang=zh_CN").get_json()
    en = client.get("/api/v1/openapi.json?lang=en").get_json()
    assert zh["paths"]["/products"]["get"]["summary"] == "在当前公布的目录清单中查找产品"
    assert en["paths"]["/products"]["get"]["summary"] == "Search the products on current published lists"
    assert "410" in en["paths"]["/products/{id}"]["get"]["responses"]


def test_search_filters_are_a_panel_before_the_results(client, catalog_data):
    page = client.get("/search?q=报警器&tier=mid").get_data(as_text=True)
    panel, results = page.index('<details class="filters-panel'), page.index('id="results-title"')
    assert panel < results
    assert "<summary>" in page and "（已选 1 项）" in page
    assert "css/market.css" in page
    english = client.get("/search?q=报警器&tier=mid&lang=en").get_data(as_text=True)
    assert "(1 chosen)" in english


def test_compare_shows_every_product_in_a_frame_with_a_cue(client, catalog_data):
    d = catalog_data
    ids = [d["alarm_mid"].id, d["alarm_low"].id, d["alarm_com"].id]
    page = client.get(f"/compare?ids={','.join(map(str, ids))}&lang=en").get_data(as_text=True)
    assert 'class="compare-frame' in page and "compare-cue" in page and "3 products compared" in page
    for model in ("JT-BX200", "JT-BX100", "HA-C300"):
        assert model in page
    assert "24 months" in page


def test_counts_use_plural_forms(client, catalog_data):
    page = client.get(f"/compare?ids={catalog_data['alarm_mid'].id},99999998,99999999&lang=en")
    assert "2 products do not exist" in page.get_data(as_text=True)
    page = client.get(f"/compare?ids={catalog_data['alarm_mid'].id},99999999&lang=en").get_data(as_text=True)
    assert "1 product does not exist" in page and "(s)" not in page
