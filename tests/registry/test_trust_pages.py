"""Trust pages: supplier listings, earlier versions as pages, jump links, the tier filter, "already listed"."""

from __future__ import annotations

import re

from core.db import db
from registry.lists import services as list_services
from tests.conftest import district, login, make_user
from tests.registry.factories import make_full_supplier
from tests.registry.helpers import open_call, published_list
from tests.suppliers.factories import make_staff


def test_supplier_page_lists_current_products_by_district_with_tel_links(client):
    _official, suppliers, _version = published_list()
    supplier, products = suppliers[0]
    published_list("500105")  # another district, other suppliers
    page = client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert 'class="breadcrumb"' in page
    assert f'href="tel:{supplier.phone}"' in page
    section = re.search(r'data-listed-district="500103".*?</section>', page, re.S).group(0)
    for product in products:
        assert f'href="/products/{product.id}"' in section and product.model in section
    assert "¥199.00" in section and "¥399.00" in section and "¥699.00" in section
    assert 'href="/districts/500103#sup-' in section and "现行第 1 版" in section
    assert 'data-listed-district="500105"' not in page


def test_supplier_page_of_an_unlisted_supplier_says_so(client):
    supplier, _products = make_full_supplier()
    page = client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert "目前未列入任何区县的现行清单。" in page and "data-listed-district" not in page


def test_removed_supplier_no_longer_shows_the_district(client):
    official, suppliers, _version = published_list()
    supplier = suppliers[0][0]
    list_services.remove_supplier(district("500103"), supplier, actor=official, reason="违规")
    db.session.commit()
    page = client.get(f"/suppliers/{supplier.id}").get_data(as_text=True)
    assert "data-listed-district" not in page


def test_earlier_versions_are_pages_linked_from_the_history(client):
    official, suppliers, _version = published_list()
    gone = suppliers[0][0]
    list_services.remove_supplier(district("500103"), gone, actor=official, reason="违规")
    db.session.commit()
    history = client.get("/districts/500103/versions").get_data(as_text=True)
    assert 'href="/districts/500103/versions/1"' in history and 'href="/districts/500103/versions/2"' in history
    old = client.get("/districts/500103/versions/1").get_data(as_text=True)
    assert gone.legal_name in old and "这不是现行版本" in old and 'href="/districts/500103"' in old
    assert "data-order-button" not in old  # an old version's prices cannot be ordered
    assert 'id="sup-' in old
    current = client.get("/districts/500103/versions/2").get_data(as_text=True)
    assert "这是现行版本。" in current and gone.legal_name not in current.split("与上一版相比")[0]


def test_unknown_version_numbers_are_404(client):
    published_list()
    for url in ("/districts/500103/versions/2", "/districts/500103/versions/0", "/districts/500103/versions/-1",
                "/districts/500103/versions/abc", "/districts/500103/versions/99999999999",
                "/districts/999999/versions/1", "/districts/500105/versions/1",
                "/districts/500103/versions?a=1&b=7"):
        assert client.get(url).status_code == 404, url


def test_the_list_has_jump_links_to_each_supplier(client):
    _official, suppliers, _version = published_list()
    page = client.get("/districts/500103").get_data(as_text=True)
    toc = re.search(r'<nav class="card card-body[^"]*list-toc".*?</nav>', page, re.S).group(0)
    for supplier, _products in suppliers:
        assert f'href="#sup-{supplier.id}"' in toc and f'id="sup-{supplier.id}"' in page


def _product_ids(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/products/(\d+)"', page)}


def test_tier_filter_alone_and_with_a_device_type(client):
    _official, suppliers, _version = published_list()
    high = {products[2].id for _s, products in suppliers}
    page = client.get("/districts/500103?tier=high").get_data(as_text=True)
    assert _product_ids(page) == high and "只显示：高档。" in page
    assert 'data-tier-filter="high" aria-current="true"' in page
    both = client.get("/districts/500103?tier=high&device_type=self_closing_valve").get_data(as_text=True)
    assert _product_ids(both) == high
    assert client.get("/districts/500103?tier=high&device_type=leak_alarm").status_code == 200
    assert _product_ids(client.get("/districts/500103?tier=high&device_type=leak_alarm").get_data(as_text=True)) \
        == set()
    # the links keep the other dimension
    assert 'href="/districts/500103?device_type=self_closing_valve&amp;tier=high"' in page


def test_unknown_tier_is_ignored_with_the_message(client):
    _official, suppliers, _version = published_list()
    every = {p.id for _s, products in suppliers for p in products}
    page = client.get("/districts/500103?tier=premium").get_data(as_text=True)
    assert _product_ids(page) == every and "筛选条件无法识别，已忽略，下面显示全部产品。" in page


def test_tier_filter_in_english(client):
    published_list()
    page = client.get("/districts/500103?tier=low&lang=en").get_data(as_text=True)
    assert "Tier:" in page and "All tiers" in page


def test_a_listed_supplier_is_told_next_to_apply(client):
    official, suppliers, _version = published_list()
    call = open_call(official)
    listed_staff = make_staff(suppliers[0][0])
    login(client, listed_staff)
    detail = client.get(f"/solicitations/{call.id}").get_data(as_text=True)
    assert "data-already-listed" in detail and "您的单位已在渝中区现行目录清单（第 1 版）上" in detail
    assert "在线申请" in detail
    assert "data-already-listed" in client.get("/solicitations").get_data(as_text=True)
    newcomer, _products = make_full_supplier()
    login(client, make_staff(newcomer))
    assert "data-already-listed" not in client.get(f"/solicitations/{call.id}").get_data(as_text=True)
    login(client, make_user())
    assert "data-already-listed" not in client.get(f"/solicitations/{call.id}").get_data(as_text=True)
