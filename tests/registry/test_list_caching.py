"""The public list pages and the JSON list API: ETag / Last-Modified / 304 / Cache-Control, cached cards never stale."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale, format_currency

from catalog import signals as catalog_signals
from catalog.models import ProductStatus
from core.clock import today_shanghai
from core.db import db
from core.i18n import money
from registry.lists import services as list_services
from tests.conftest import district, login
from tests.registry.factories import make_full_supplier
from tests.registry.helpers import admit, open_call, published_list
from tests.registry.test_order_subsidy import policy, resident

PAGES = ("/districts/500103", "/districts/500103/versions", "/districts/500103/versions/1",
         "/api/v1/districts/500103/list", "/api/v1/districts/500103/list/versions",
         "/api/v1/districts/500103/list/versions/1")


@pytest.fixture
def listed():
    return published_list()


def fresh(app):
    return app.test_client()


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_answer_is_public_with_validators_and_no_cookie(app, listed, url):
    response = fresh(app).get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=60"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    assert response.headers["Last-Modified"]
    assert "Set-Cookie" not in response.headers
    if not url.startswith("/api/"):
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response.headers["Vary"].split(",")}


@pytest.mark.parametrize("url", PAGES)
def test_matching_if_none_match_gets_304_without_body(app, listed, url):
    client = fresh(app)
    first = client.get(url)
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "public, max-age=60"
    other = client.get(url, headers={"If-None-Match": '"not-this-one"'})
    assert other.status_code == 200 and other.data == first.data


def test_if_modified_since_is_used_only_without_if_none_match(app, listed):
    client = fresh(app)
    first = client.get("/districts/500103")
    since = first.headers["Last-Modified"]
    assert client.get("/districts/500103", headers={"If-Modified-Since": since}).status_code == 304
    assert client.get("/districts/500103", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}
                      ).status_code == 200
    # If-None-Match decides when both are sent
    both = {"If-Modified-Since": since, "If-None-Match": '"stale"'}
    assert client.get("/districts/500103", headers=both).status_code == 200


def test_the_etag_changes_with_locale_filter_and_query(app, listed):
    client = fresh(app)
    tags = {client.get("/districts/500103" + q, headers=h).headers["ETag"] for q, h in (
        ("", {}), ("", {"Accept-Language": "en"}), ("?device_type=leak_alarm", {}), ("?tier=high", {}),
        ("?utm=x", {}))}
    assert len(tags) == 5
    assert client.get("/districts/500103").headers["ETag"] == client.get("/districts/500103").headers["ETag"]


def test_a_new_version_changes_etag_and_content(app, listed):
    official, suppliers, _version = listed
    client = fresh(app)
    urls = ("/districts/500103", "/api/v1/districts/500103/list", "/districts/500103/versions",
            "/districts/500103/versions/1")
    before = {url: client.get(url) for url in urls}
    list_services.remove_supplier(district("500103"), suppliers[0][0], actor=official, reason="违规")
    db.session.commit()
    for url in urls:
        after = client.get(url, headers={"If-None-Match": before[url].headers["ETag"]})
        assert after.status_code == 200, url
        assert after.headers["ETag"] != before[url].headers["ETag"]
    page = client.get("/districts/500103").get_data(as_text=True)
    assert "第 2 版" in page and suppliers[0][0].legal_name not in page.split("最新公告")[0]
    assert client.get("/api/v1/districts/500103/list").get_json()["version"] == 2
    assert "这不是现行版本" in client.get("/districts/500103/versions/1").get_data(as_text=True)


def test_a_withdrawn_product_is_gone_at_once_from_every_cached_page(app, listed):
    _official, suppliers, _version = listed
    product = suppliers[1][1][0]
    client = fresh(app)
    for query in ("", "?tier=low", "?device_type=self_closing_valve", "?lang=en"):
        assert product.model in client.get("/districts/500103" + query).get_data(as_text=True)
    assert product.model in client.get("/api/v1/districts/500103/list").get_data(as_text=True)
    product.status = ProductStatus.withdrawn
    catalog_signals.product_withdrawn.send(product)
    db.session.commit()
    client = fresh(app)
    for query in ("", "?tier=low", "?device_type=self_closing_valve", "?lang=en"):
        page = client.get("/districts/500103" + query).get_data(as_text=True)
        assert f"/products/{product.id}\"" not in page, query
    assert product.model not in client.get("/api/v1/districts/500103/list").get_data(as_text=True)
    # the version shows it was made below the minimum (a tier is missing now), with the new announcement
    page = fresh(app).get("/districts/500103").get_data(as_text=True)
    assert "本清单目前不符合公布的最低要求" in page and "产品移出清单" in page


def test_a_new_announcement_changes_the_etag(app, listed):
    official, suppliers, _version = listed
    client = fresh(app)
    etag = client.get("/districts/500103").headers["ETag"]
    call = open_call(official)
    supplier, products = make_full_supplier()
    admit(call, official, supplier, products)
    list_services.publish_list(district("500103"), actor=official)
    db.session.commit()
    page = client.get("/districts/500103", headers={"If-None-Match": etag})
    assert page.status_code == 200 and supplier.legal_name in page.get_data(as_text=True)


def test_lang_argument_writes_the_session_so_the_answer_is_private(app, listed):
    response = fresh(app).get("/districts/500103?lang=en")
    assert response.status_code == 200 and "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in response.headers["Vary"]


def test_a_waiting_flash_is_shown_and_the_page_is_private(app, listed):
    client = fresh(app)
    client.get("/districts/500103")  # warm the shared copy
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "一条提示")]
    response = client.get("/districts/500103")
    assert "一条提示" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "一条提示" not in fresh(app).get("/districts/500103").get_data(as_text=True)


def test_logged_in_viewer_with_a_subsidy_gets_a_private_page(app, listed):
    today = today_shanghai()
    policy(valid_from=today - timedelta(days=30), valid_until=today + timedelta(days=30))
    user, _claim = resident()
    anonymous = fresh(app)
    shared = anonymous.get("/districts/500103")
    client = fresh(app)
    login(client, user)
    mine = client.get("/districts/500103")
    text = mine.get_data(as_text=True)
    assert "data-subsidy=" in text and mine.headers["Cache-Control"] == "private, no-cache"
    assert "Cookie" in mine.headers["Vary"] and mine.headers["ETag"] != shared.headers["ETag"]
    assert client.get("/districts/500103", headers={"If-None-Match": shared.headers["ETag"]}).status_code == 200
    # the subsidy never leaks into the shared copy
    assert "data-subsidy=" not in anonymous.get("/districts/500103").get_data(as_text=True)


def test_json_list_is_the_same_for_everyone(app, listed):
    client = fresh(app)
    zh = client.get("/api/v1/districts/500103/list")
    en = client.get("/api/v1/districts/500103/list", headers={"Accept-Language": "en"})
    assert zh.headers["ETag"] == en.headers["ETag"] and zh.data == en.data
    assert zh.get_json()["version"] == 1 and len(zh.get_json()["suppliers"]) == 3


def test_unknown_and_unpublished_districts_are_not_cached(app):
    client = fresh(app)
    assert client.get("/districts/999999").status_code == 404
    unpublished = client.get("/api/v1/districts/500103/list")
    assert unpublished.status_code == 404 and "ETag" not in unpublished.headers
    page = client.get("/districts/500103")
    assert page.status_code == 200 and "该区县尚未公布目录清单" in page.get_data(as_text=True)


def test_money_is_formatted_exactly_as_babel_formats_it(app):
    amounts = [0, 1, -1, 5, 99, 100, 19900, -19900, 100000, 123456789, 98765432101]
    amounts += random.Random(7).sample(range(-10**9, 10**9), 500)
    with app.test_request_context("/"):
        for locale, sample in (("zh_CN", "¥199.00"), ("en", "CN¥199.00")):
            with force_locale(locale):
                assert money(19900) == sample
                for fen in amounts:
                    assert money(fen) == format_currency(Decimal(fen) / 100, "CNY"), (locale, fen)
                assert money(None) == "—"


def test_a_worker_reuses_the_list_validators_briefly_but_sees_its_own_writes_at_once(app, listed, monkeypatch):
    """With LIST_STAMP_TTL_SECONDS a warm JSON list runs no SQL; a version published meanwhile shows at once."""
    from sqlalchemy import event

    official, suppliers, _version = listed
    monkeypatch.setitem(app.config, "LIST_STAMP_TTL_SECONDS", 60)
    statements = []

    def count(*_args):
        statements.append(1)

    client = fresh(app)
    assert client.get("/api/v1/districts/500103/list").status_code == 200
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        warm = client.get("/api/v1/districts/500103/list")
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert warm.status_code == 200 and warm.get_json()["version"] == 1
    assert statements == []
    list_services.remove_supplier(district("500103"), suppliers[0][0], actor=official, reason="违规")
    db.session.commit()
    assert client.get("/api/v1/districts/500103/list").get_json()["version"] == 2
    assert "第 2 版" in client.get("/districts/500103").get_data(as_text=True)
