"""/search: box, facets with counts, sorting, pages, escaped highlights, friendly empty state, home district."""
# ruff: noqa: F811 - pytest fixtures imported from search_factories are used as parameters

from __future__ import annotations

from core.db import db
from core.permissions import Role
from tests.conftest import district
from tests.market.search_factories import catalog_data, listing, make_product, make_supplier  # noqa: F401


def test_search_page_with_highlight_and_facets(client, catalog_data):
    page = client.get("/search?q=报警器").get_data(as_text=True)
    assert "共找到 3 个产品" in page
    assert "JT-BX200" in page and "ZB-15A" not in page
    assert "<mark>" in page
    assert "渝中区" in page and "(2)" in page  # district facet with counts
    assert "加入对比" in page and 'name="csrf_token"' in page
    assert 'method="get"' in page


def test_highlight_never_injects_html(client, listing):
    supplier = make_supplier("<script>alert(1)</script>报警公司")
    product = make_product(supplier, "XSS-1", brand="<b>坏</b>")
    listing.put(product, "500103")
    page = client.get("/search?q=报警").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<b>坏</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<mark>报警</mark>" in page


def test_filters_sort_and_pagination_links(client, catalog_data):
    page = client.get("/search?sort=price&per_page=2&district=").get_data(as_text=True)
    assert "第 1 / 3 页" in page and "page=2" in page
    assert page.index("ZB-15A") < page.index("JT-BX100")
    page = client.get("/search?tier=high&district=").get_data(as_text=True)
    assert "HA-C300" in page and "ZB-25H" in page and "JT-BX200" not in page


def test_nothing_found_offers_suggestions(client, catalog_data):
    page = client.get("/search?q=洗衣机&district=500103").get_data(as_text=True)
    assert "没有找到符合条件的产品" in page and "在全部区县中查找" in page and "自闭阀" in page


def test_bad_filter_values_are_explained_not_500(client, catalog_data):
    response = client.get("/search?tier=gold&page=0&district=nowhere&q=\"AND")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "tier" in text and "district" in text


def test_residents_home_district_is_preselected(client, as_user, catalog_data):
    as_user(Role.resident, home_district_id=district("500105").id)
    db.session.commit()
    page = client.get("/search").get_data(as_text=True)
    assert '<option value="500105" selected>' in page
    assert "ZB-25H" in page and "JT-BX200" not in page
    page = client.get("/search?district=").get_data(as_text=True)
    assert "JT-BX200" in page
