"""Mounting the stub inside another application under /_stripe."""

from flask import Flask

from payments.stub import shutdown
from payments.stub.mount import mount_stub


def test_mount_serves_the_stub_under_the_prefix(tmp_path):
    host = Flask("host")
    host.config.update(
        STRIPE_STUB_DATABASE_URL=f"sqlite:///{tmp_path / 'mounted.sqlite3'}",
        STRIPE_STUB_DELIVERY_THREAD=False,
        STRIPE_STUB_WEBHOOK_URL="http://127.0.0.1:9/payments/webhook",
    )
    stub = mount_stub(host)
    try:
        web = host.test_client()
        response = web.get("/_stripe/v1/events", headers={"Authorization": "Bearer sk_test_x"})
        assert response.status_code == 200
        assert response.get_json()["object"] == "list"
        assert stub.config["STRIPE_STUB_WEBHOOK_URL"] == "http://127.0.0.1:9/payments/webhook"
        assert web.get("/_stripe/").status_code == 200
    finally:
        shutdown(stub)


def test_mount_does_nothing_when_the_embedded_stub_is_off():
    host = Flask("host")
    host.config["STRIPE_STUB_EMBEDDED"] = False
    assert mount_stub(host) is None
