"""The real app under gunicorn with two workers on a random port: a payment's webhooks reach that server's
/payments/webhook, each exactly once, with no STRIPE_API_BASE or STRIPE_STUB_WEBHOOK_URL set."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select

from core.config import PROJECT_ROOT
from core.db import db as _db
from payments import gateway
from payments.models import ProcessedWebhookEvent
from payments.stub import shutdown
from payments.stub.origin import SERVER_ORIGIN
from payments.stub.storage import attempts, deliveries, settings
from wsgi import create_app

GUNICORN = Path(sys.executable).parent / "gunicorn"
#: Settings of the test environment that must not reach the server: it runs with the defaults.
UNSET = ("STRIPE_API_BASE", "STRIPE_STUB_WEBHOOK_URL", "STRIPE_WEBHOOK_SECRET", "STRIPE_STUB_EMBEDDED",
         "STRIPE_API_KEY", "STRIPE_STUB_WEBHOOK_PATH", "SERVER_NAME", "TEST_DATABASE_URL")


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def paths(tmp_path):
    """The server's databases and directories, in a temporary folder."""
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite3'}",
        "STRIPE_STUB_DATABASE_URL": f"sqlite:///{tmp_path / 'stub.sqlite3'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "AUDIT_ANCHOR_PATH": str(tmp_path / "audit-anchor.txt"),
    }


@pytest.fixture
def local_app(paths):
    """The app in this process on the same databases (schema created), with the embedded stub and no
    STRIPE_API_BASE: the gateway finds the server from the request's host."""
    app = create_app({
        "TESTING": True,
        "ENV_NAME": "development",
        "SQLALCHEMY_DATABASE_URI": paths["DATABASE_URL"],
        "STRIPE_STUB_DATABASE_URL": paths["STRIPE_STUB_DATABASE_URL"],
        "SEARCH_INDEX_DIR": paths["SEARCH_INDEX_DIR"],
        "UPLOAD_DIR": paths["UPLOAD_DIR"],
        "AUDIT_ANCHOR_PATH": paths["AUDIT_ANCHOR_PATH"],
        "STRIPE_STUB_EMBEDDED": True,
        "STRIPE_STUB_DELIVERY_THREAD": False,  # only the server's two workers deliver
        "STRIPE_API_BASE": None,
        "STRIPE_STUB_WEBHOOK_URL": None,
        "STRIPE_MAX_NETWORK_RETRIES": 0,
    })
    with app.app_context():
        _db.create_all()
        _db.session.remove()
    yield app
    shutdown(app.extensions["stripe_stub_app"])
    with app.app_context():
        _db.engine.dispose()


@pytest.fixture
def server(paths, local_app):
    """gunicorn -w 2 on a random free port; yields its base URL."""
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed in this environment")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in UNSET}
    env.update(paths, APP_ENV="development", STRIPE_STUB_RETRY_BASE_SECONDS="0.2", STRIPE_STUB_POLL_SECONDS="0.1")
    process = subprocess.Popen(
        [str(GUNICORN), "-w", "2", "--threads", "2", "-b", f"127.0.0.1:{port}", "--graceful-timeout", "3",
         "wsgi:create_app()"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
            try:
                if requests.get(f"{base}/_stripe/v1/events", timeout=1).status_code == 401:
                    break
            except requests.RequestException:  # not listening yet, or the workers still booting
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not answer within 15 s")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        process.stderr.close()


def test_a_payment_under_gunicorn_reaches_that_servers_webhook_exactly_once(local_app, server, paths):
    with local_app.test_request_context(base_url=server):
        result = gateway.create_checkout_session(
            order_ref="ORD-GUNICORN",
            amount_fen=12800,
            line_items=[{"name": "家用可燃气体探测器", "unit_amount_fen": 12800, "quantity": 1}],
            success_url=f"{server}/orders/1",
            cancel_url=f"{server}/orders/1",
            metadata={"order_id": "1"},
        )
    assert result.url.startswith(f"{server}/_stripe/c/pay/")
    with requests.Session() as browser:
        browser.trust_env = False
        page = browser.get(result.url, timeout=10)
        token = page.text.split('name="token" value="')[1].split('"')[0]
        paid = browser.post(
            result.url, data={"token": token, "card_number": "4242424242424242"}, allow_redirects=False, timeout=10
        )
    assert paid.status_code == 303

    app_db = create_engine(paths["DATABASE_URL"])
    stub_db = create_engine(paths["STRIPE_STUB_DATABASE_URL"])
    try:
        def received() -> list:
            with app_db.connect() as conn:
                return conn.execute(select(ProcessedWebhookEvent.event_id, ProcessedWebhookEvent.type)).all()

        deadline = time.monotonic() + 10
        while "checkout.session.completed" not in {row.type for row in received()}:
            assert time.monotonic() < deadline, "no checkout.session.completed reached the server"
            time.sleep(0.1)
        time.sleep(1.0)  # room for a second delivery by the other worker, were there one
        with stub_db.connect() as conn:
            rows = conn.execute(select(deliveries)).all()
            tries = Counter(conn.execute(select(attempts.c.delivery_id)).scalars())
            codes = set(conn.execute(select(attempts.c.status_code)).scalars())
            origin = conn.execute(select(settings.c.value).where(settings.c.name == SERVER_ORIGIN)).scalar()
        events = received()
    finally:
        app_db.dispose()
        stub_db.dispose()
    types = Counter(row.type for row in events)
    assert types["checkout.session.completed"] == 1
    assert {"payment_intent.succeeded", "charge.succeeded"} <= set(types)
    assert len(events) == len({row.event_id for row in events}) == len(rows)
    assert {row.state for row in rows} == {"succeeded"}
    assert codes == {200} and set(tries.values()) == {1}  # each delivery sent by one worker, once
    assert origin == server
