"""No request produces a 500: every GET page and POST form, for every role, with real, unknown, junk and
hostile parameters (ids of 2**31 and more, huge page numbers, far dates, NUL bytes, whitespace-only text,
inf/1e308 money, a `next` with a newline)."""

import re

import pytest
from sqlalchemy import select

from core.accounts.models import User
from tests.conftest import login
from tests.crawl import EXAMPLE_PAGES, ROLES, page_urls

JUNK_QUERY = ("?page=abc&per_page=-5&q=%22%28%2A%3A&tier=zzz&sort=bogus&district=xx&min_price=-1&max_price=abc"
              "&smart=maybe&kind=nope&device_type=x&usage=y&a=zz&b=1&ids=1,x,,9999999&from=2026-13-40&lang=xx")
HUGE = "99999999999999999999"
#: Every integer query parameter the application reads, given a number beyond any database integer.
HOSTILE_QUERY = (f"?page={HUGE}&per_page={HUGE}&district={HUGE}&edit={HUGE}&a={HUGE}&b=1&product={HUGE}"
                 f"&ids=1,%C2%B2,{HUGE}&from=0001-01-01&to=9999-12-31&next=/%0a/evil.com&q=%20%20&actor=%09")

@pytest.mark.parametrize("email", ROLES)
def test_no_get_request_is_a_server_error(app, client, db, demo, email):
    if email:
        login(client, db.session.scalar(select(User).where(User.email == email)))
    failures = []
    for url in page_urls(app) + EXAMPLE_PAGES:
        if "?" in url:
            queries = ("", "&" + JUNK_QUERY[1:], "&" + HOSTILE_QUERY[1:])
        elif "999999" not in url and "NOPE" not in url:
            queries = ("", JUNK_QUERY, HOSTILE_QUERY)
        else:
            queries = ("", JUNK_QUERY)
        for query in queries:
            with client.get(url + query) as response:  # downloads stream a file: close it
                status = response.status_code
            if status >= 500:
                failures.append(f"{status} {url}{query}")
    assert not failures, "\n".join(failures)


def _int_rules(app):
    return [rule for rule in app.url_map.iter_rules() if "<int:" in rule.rule and not rule.rule.startswith("/_stripe")]


@pytest.mark.parametrize("number", [str(2**31), str(2**63), HUGE])
def test_every_int_route_answers_a_huge_id_with_a_404(app, client, db, demo, number):
    login(client, db.session.scalar(select(User).where(User.email == "admin@demo.local")))
    failures = []
    for rule in _int_rules(app):
        path = re.sub(r"<any\([^)]*\):[a-z_]+>", "submit", re.sub(r"<int:[a-z_]+>", number, rule.rule))
        path = re.sub(r"<[a-z_:]+>", "500103", path)
        for method in sorted(rule.methods & {"GET", "POST"}):
            with client.open(path, method=method) as response:
                if response.status_code != 404:
                    failures.append(f"{response.status_code} {method} {path}")
    assert _int_rules(app) and not failures, "\n".join(failures)


def test_nul_in_path_or_query_is_a_400(app, client, db, demo):
    for url in ("/products?q=%00", "/districts/%00", "/api/v1/districts/%00/list", "/audit?actor=%00"):
        assert client.get(url).status_code in (400, 404), url


def _postpage_urls(app) -> list[str]:
    urls = set()
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith(("/static", "/bootstrap", "/_stripe")):
            continue
        path = re.sub(r"<int:[a-z_]+>", "1", rule.rule)
        path = re.sub(r"<any\([^)]*\):[a-z_]+>", "submit", path)
        urls.add(re.sub(r"<[a-z_:]+>", "500103", path))
    return sorted(urls)


JUNK_FORM = {"page": "x", "price": "-1.234", "install_fee": "abc", "tier": "nope", "device_type": "x",
             "features": ["bogus"], "valid_until": "2026-02-31", "score_quality": "999", "weights": "x",
             "reason": "", "district": "abc", "locale": "xx", "ids": "1,2,x", "product_id": "abc",
             "email": "not-an-email", "phone": "12", "credit_code": "123", "exception_reason": "x" * 5000}
#: Hostile values for the names the forms use: NUL bytes, whitespace-only text, unbounded money and numbers.
HOSTILE_FORM = {
    "title": "   ", "name": "小区\x00", "display_name": " \u3000 ", "address": "  ", "requirements": "要求\x00",
    "reason": "\x00", "comment": "评审\x00", "note": "\x00", "exception_reason": "\x00", "case_number": "\x00",
    "email": "a\x00@b.cn", "phone": "1380000\x000000", "credit_code": "\x00" * 18, "legal_name": "  ",
    "contact_person": "\x00", "service_content": "\x00", "q": "\x00", "identifier": "\x00", "password": "\x00",
    "device_type": "leak_alarm", "usage": "", "tier": "mid", "brand": "品牌", "manufacturer": "厂家", "model": "M\x00",
    "price": "inf", "install_fee": "1e308", "early_price": HUGE, "amount": "inf", "cap": HUGE, "percent": HUGE,
    "items-0-product_id": HUGE, "items-0-offered": "y", "items-0-price": "1e308", "items-0-install_fee": "inf",
    "warranty_months": HUGE, "count": HUGE, "township_id": HUGE, "score_quality": HUGE, "weight_price": HUGE,
    "quantity": HUGE, "product_id": HUGE, "district": HUGE, "deadline": "9999-12-31", "valid_from": "0001-01-01",
    "valid_until": "9999-12-31", "early_price_until": "9999-12-31", "next": "/\n/evil.com", "kind": "fixed",
    "category": "old_community", "status": "revoked", "decision": "accept", "locale": "en\x00",
}


@pytest.mark.parametrize("email", ROLES)
def test_no_post_with_empty_or_junk_form_is_a_server_error(app, client, db, demo, email):
    if email:
        login(client, db.session.scalar(select(User).where(User.email == email)))
    failures = []
    for url in _postpage_urls(app):
        if url == "/logout":
            continue
        for data in ({}, JUNK_FORM, HOSTILE_FORM):
            with client.post(url, data=data) as response:
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} POST {url} {sorted(data)[:3]}")
    assert not failures, "\n".join(failures)
