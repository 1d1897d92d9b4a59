"""Error pages, JSON errors, CSRF, headers, cookies, production safety."""

import pytest

from core.config import ConfigError, load_config
from core.permissions import Role


@pytest.mark.parametrize("lang,text", [("zh_CN", "页面不存在"), ("en", "Page not found")])
def test_404_page_in_both_languages(client, lang, text):
    response = client.get(f"/no-such-page?lang={lang}")
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)


def test_403_page_in_english(client, as_user):
    as_user(Role.resident, locale="en")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "Access denied" in response.get_data(as_text=True)


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response.is_json
    assert set(response.get_json()["error"]) >= {"code", "message"}


def test_unexpected_error_gives_500_page_not_a_traceback(app, client, monkeypatch):
    def boom():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "main.index", boom)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/?lang=en")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Server error" in page and "boom" not in page


def test_security_headers(client):
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_have_no_inline_scripts(client):
    import re

    page = client.get("/login").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)


def test_csrf_token_required_on_forms(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"identifier": "a@example.test", "password": "x"})
    assert response.status_code == 400
    assert "安全令牌" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_lax(client, as_user):
    from tests.conftest import make_user

    make_user(Role.resident, email="c@example.test")
    response = client.post("/login", data={"identifier": "c@example.test", "password": "correct-horse-battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_default_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATA_KEY", "x" * 44)
    with pytest.raises(ConfigError):
        load_config({"ENV_NAME": "production"})


def test_production_refuses_the_development_audit_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("DATA_KEY", "another-real-secret")
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    with pytest.raises(ConfigError, match="AUDIT_KEY"):
        load_config({"ENV_NAME": "production"})
    monkeypatch.setenv("AUDIT_KEY", "dev-audit-key-not-for-production")
    with pytest.raises(ConfigError, match="AUDIT_KEY"):
        load_config({"ENV_NAME": "production"})


def test_production_config_sets_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("DATA_KEY", "another-real-secret")
    monkeypatch.setenv("AUDIT_KEY", "a-third-real-secret")
    cfg = load_config({"ENV_NAME": "production"})
    assert cfg["SESSION_COOKIE_SECURE"] is True and cfg["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_seed_demo_refuses_production(app):
    app.config["ENV_NAME"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["seed-demo"])
    finally:
        app.config["ENV_NAME"] = "testing"
    assert result.exit_code != 0
    assert "production" in result.output
