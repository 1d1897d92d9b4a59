"""Error pages: they never write the session, the favicon is served, a 429 says how long to wait."""

import re

import pytest
from werkzeug.exceptions import TooManyRequests

from core.extensions import limiter
from core.permissions import Role
from tests.conftest import TEST_PASSWORD, make_user


def _token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def _csrf_login(client, email: str) -> None:
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"identifier": email, "password": TEST_PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_favicon_is_served_with_a_long_cache_and_no_cookie(client, as_user):
    as_user(Role.resident)
    with client.get("/favicon.ico") as response:
        data = response.data
    assert response.status_code == 200
    assert data[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert response.cache_control.max_age >= 7 * 24 * 3600
    assert "Set-Cookie" not in response.headers
    page = client.get("/").get_data(as_text=True)
    assert 'rel="icon"' in page
    with client.get("/static/favicon.svg") as svg:
        assert svg.status_code == 200 and b"<svg" in svg.data


def test_a_404_leaves_the_session_and_the_next_form_post_still_works(csrf_app, client):
    make_user(Role.resident, email="a@example.test")
    _csrf_login(client, "a@example.test")
    # the login's welcome message is still pending: the error page must neither show nor consume it
    for missing in ("/no-such-page", "/favicon-missing.ico", "/static/no-such.css", "/no-such-page?lang=en"):
        response = client.get(missing)
        assert response.status_code == 404
        assert "Set-Cookie" not in response.headers, missing
    page = client.get("/account").get_data(as_text=True)
    assert "欢迎回来" in page  # shown on the first real page
    response = client.post("/logout", data={"csrf_token": _token(page)})
    assert response.status_code == 302 and client.get("/account").status_code == 302


def test_a_403_and_a_csrf_failure_do_not_reissue_the_session(csrf_app, client):
    make_user(Role.resident, email="b@example.test")
    _csrf_login(client, "b@example.test")
    token = _token(client.get("/account").get_data(as_text=True))
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403 and "Set-Cookie" not in forbidden.headers
    # the error page offers the logout confirmation page (it creates no new token)
    assert 'href="/logout"' in forbidden.get_data(as_text=True)
    refused = client.post("/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 400 and "Set-Cookie" not in refused.headers
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


@pytest.fixture
def strict_login_limit(app):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    limiter.reset()
    yield
    app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
    limiter.reset()


def _hammer(client, **kwargs):
    for _ in range(2):
        client.post("/login", data={"identifier": "x@example.test", "password": "wrong-password"}, **kwargs)
    return client.post("/login", data={"identifier": "x@example.test", "password": "wrong-password"}, **kwargs)


def test_429_page_says_how_many_seconds_to_wait(client, strict_login_limit):
    response = _hammer(client, headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 429
    seconds = int(response.headers["Retry-After"])
    assert 1 <= seconds <= 60
    page = response.get_data(as_text=True)
    match = re.search(r"请在 (\d+) 秒后重试", page)
    assert match and abs(int(match.group(1)) - seconds) <= 1
    assert "登录尝试过于频繁" in page


def test_429_page_in_english_counts_seconds(client, strict_login_limit):
    response = _hammer(client, headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert re.search(r"Try again in (1 second|\d+ seconds)\.", page)
    assert "Too many login attempts" in page


def test_429_json_keeps_the_header_and_names_the_wait(app, client, monkeypatch):
    def busy():
        raise TooManyRequests(retry_after=1)

    monkeypatch.setitem(app.view_functions, "registry_api.districts", busy)
    response = client.get("/api/v1/districts?lang=en")
    assert response.status_code == 429 and response.headers["Retry-After"] == "1"
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited" and "Try again in 1 second." in error["message"]
