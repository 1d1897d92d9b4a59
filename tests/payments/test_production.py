"""The payment stub is a development tool: never in production, its own webhook secret, loopback only."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from flask import Flask

from core.config import ConfigError
from payments import gateway
from payments.stub import create_app as create_stub
from payments.stub import shutdown
from payments.stub.delivery import sign
from payments.stub.mount import mount_stub
from payments.stub.state import stub_state
from wsgi import create_app

AUTH = {"Authorization": "Bearer sk_test_x"}


@pytest.fixture
def app_config(tmp_path, monkeypatch):
    """Main-app settings for a given environment (nothing from the real environment's STRIPE_*)."""
    for name in ("STRIPE_WEBHOOK_SECRET", "STRIPE_STUB_EMBEDDED", "STRIPE_API_KEY", "APP_ENV"):
        monkeypatch.delenv(name, raising=False)

    def _config(env: str, **overrides):
        config = {
            "TESTING": True,
            "ENV_NAME": env,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'app.sqlite3'}",
            "SECRET_KEY": "a-real-secret",
            "DATA_KEY": base64.b64encode(b"k" * 32).decode(),
            "AUDIT_KEY": "a-real-audit-key",
            "SEARCH_INDEX_DIR": str(tmp_path / "index"),
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp_path / 'stub.sqlite3'}",
            "STRIPE_STUB_DELIVERY_THREAD": False,
            "RATELIMIT_STORAGE_URI": "memory://",
        }
        if env == "production":
            config.update(STRIPE_WEBHOOK_SECRET="whsec_provider_secret", STRIPE_API_KEY="sk_live_provider")
        config.update(overrides)
        return config

    return _config


def test_production_refuses_to_start_with_the_embedded_stub(app_config):
    with pytest.raises(ConfigError, match="never mounted"):
        create_app(app_config("production", STRIPE_STUB_EMBEDDED=True))


def test_production_serves_no_stub_by_default(app_config):
    app = create_app(app_config("production"))
    assert "stripe_stub_app" not in app.extensions
    assert app.test_client().get("/_stripe/").status_code == 404
    response = app.test_client().post("/_stripe/v1/checkout/sessions", headers=AUTH, data={"mode": "payment"})
    assert response.status_code == 404


@pytest.mark.parametrize("secret", [None, "", "whsec_local_development_secret", "not-a-whsec"])
def test_production_needs_the_providers_webhook_secret(app_config, secret):
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET"):
        create_app(app_config("production", STRIPE_WEBHOOK_SECRET=secret))


def test_production_refuses_the_development_api_key(app_config):
    with pytest.raises(ConfigError, match="STRIPE_API_KEY"):
        create_app(app_config("production", STRIPE_API_KEY="sk_test_local"))


def test_mount_refuses_production(tmp_path):
    host = Flask("host")
    host.config.update(ENV_NAME="production", STRIPE_STUB_DATABASE_URL=f"sqlite:///{tmp_path / 's.sqlite3'}")
    with pytest.raises(ConfigError):
        mount_stub(host)


def test_the_stub_refuses_to_start_with_app_env_production(tmp_path, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    with pytest.raises(ConfigError, match="never runs in production"):
        create_stub({"STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp_path / 's.sqlite3'}"})


def test_embedded_stub_signs_with_its_own_stored_secret_that_the_app_trusts(app_config):
    first = create_app(app_config("development"))
    second = create_app(app_config("development"))
    try:
        secret = first.config["STRIPE_WEBHOOK_SECRET"]
        assert secret.startswith("whsec_") and secret != "whsec_local_development_secret"
        assert stub_state(first.extensions["stripe_stub_app"]).webhook_secret == secret
        assert second.config["STRIPE_WEBHOOK_SECRET"] == secret  # kept in the stub's database
        payload = json.dumps({"id": "evt_own", "object": "event", "type": "payment_intent.created"})
        with first.app_context():
            event = gateway.verify_webhook(payload.encode(), sign(payload, secret, int(time.time())))
        assert event["id"] == "evt_own"
    finally:
        shutdown(first.extensions["stripe_stub_app"])
        shutdown(second.extensions["stripe_stub_app"])


def test_embedded_stub_ignores_the_apps_own_webhook_secret(app_config):
    app = create_app(app_config("development", STRIPE_WEBHOOK_SECRET="whsec_the_apps_secret"))
    try:
        assert stub_state(app.extensions["stripe_stub_app"]).webhook_secret != "whsec_the_apps_secret"
        assert app.config["STRIPE_WEBHOOK_SECRET"] == stub_state(app.extensions["stripe_stub_app"]).webhook_secret
    finally:
        shutdown(app.extensions["stripe_stub_app"])


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/hook",
        "http://10.0.0.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1@evil.example/hook",
        "http://evil.example@127.0.0.1/hook",
        "http://[::ffff:10.0.0.1]/hook",
        "http://localhost.evil.example/hook",
    ],
)
def test_webhook_endpoints_may_not_point_away_from_this_machine(make_stub, url):
    web = make_stub().test_client()
    response = web.post("/v1/webhook_endpoints", headers=AUTH, data={"url": url, "enabled_events[0]": "*"})
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", "url_invalid", "url")


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/hook", "http://127.8.9.10/x", "http://[::1]:9/h", "http://localhost:5000/p"]
)
def test_webhook_endpoints_on_loopback_are_accepted(make_stub, url):
    web = make_stub().test_client()
    response = web.post("/v1/webhook_endpoints", headers=AUTH, data={"url": url, "enabled_events[0]": "*"})
    assert response.status_code == 200
    endpoint_id = response.get_json()["id"]
    moved = web.post(f"/v1/webhook_endpoints/{endpoint_id}", headers=AUTH, data={"url": "https://x.example/"})
    assert moved.status_code == 400 and moved.get_json()["error"]["code"] == "url_invalid"


def test_stub_responses_carry_the_security_headers(app_config):
    app = create_app(app_config("development"))
    try:
        web = app.test_client()
        for response in (web.get("/_stripe/"), web.get("/_stripe/v1/events"), web.get("/_stripe/c/pay/cs_x")):
            csp = response.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            assert response.headers["X-Frame-Options"] == "DENY"
            assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
        page = web.get("/_stripe/")
        nonce = re.search(r"'nonce-([^']+)'", page.headers["Content-Security-Policy"]).group(1)
        assert f'<style nonce="{nonce}">' in page.get_data(as_text=True)
    finally:
        shutdown(app.extensions["stripe_stub_app"])


def test_checkout_page_lets_its_form_return_to_the_merchant_only(make_stub):
    web = make_stub().test_client()
    session = web.post(
        "/v1/checkout/sessions",
        headers=AUTH,
        data={"mode": "payment", "success_url": "http://127.0.0.1:5000/ok", "amount": "100", "currency": "cny"},
    ).get_json()
    csp = web.get(f"/c/pay/{session['id']}").headers["Content-Security-Policy"]
    assert "form-action 'self' http://127.0.0.1:5000;" in csp
