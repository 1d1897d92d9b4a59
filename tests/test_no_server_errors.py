"""No request produces a 500: every GET page, for every role, with real, unknown and junk parameters."""

import re

import pytest
from sqlalchemy import select

from core.accounts.models import User
from tests.conftest import login

JUNK_QUERY = ("?page=abc&per_page=-5&q=%22%28%2A%3A&tier=zzz&sort=bogus&district=xx&min_price=-1&max_price=abc"
              "&smart=maybe&kind=nope&device_type=x&usage=y&a=zz&b=1&ids=1,x,,9999999&from=2026-13-40&lang=xx")
ROLES = [None, "admin@demo.local", "regulator@demo.local", "official.500103@demo.local",
         "inspector.500103@demo.local", "supplier1@demo.local", "resident@demo.local", "org@demo.local"]


def _urls(app) -> list[str]:
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/static", "/bootstrap", "/_stripe")):
            continue
        for value_int, value_code in (("1", "500103"), ("999999", "NOPE")):
            path = re.sub(r"<int:[a-z_]+>", value_int, rule.rule)
            path = re.sub(r"<any\([^)]*\):[a-z_]+>", "submit", path)
            path = re.sub(r"<[a-z_:]+>", value_code, path)
            urls.add(path)
    return sorted(urls)


@pytest.fixture
def demo(app, db):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0


@pytest.mark.parametrize("email", ROLES)
def test_no_get_request_is_a_server_error(app, client, db, demo, email):
    if email:
        login(client, db.session.scalar(select(User).where(User.email == email)))
    failures = []
    for url in _urls(app):
        for query in ("", JUNK_QUERY):
            with client.get(url + query) as response:  # downloads stream a file: close it
                status = response.status_code
            if status >= 500:
                failures.append(f"{status} {url}{query}")
    assert not failures, "\n".join(failures)


def _post_urls(app) -> list[str]:
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


@pytest.mark.parametrize("email", ROLES)
def test_no_post_with_empty_or_junk_form_is_a_server_error(app, client, db, demo, email):
    if email:
        login(client, db.session.scalar(select(User).where(User.email == email)))
    failures = []
    for url in _post_urls(app):
        if url == "/logout":
            continue
        for data in ({}, JUNK_FORM):
            with client.post(url, data=data) as response:
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} POST {url} {sorted(data)[:3]}")
    assert not failures, "\n".join(failures)
