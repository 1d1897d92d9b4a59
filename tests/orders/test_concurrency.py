"""50 residents order and pay at once against gunicorn with 4 workers and the embedded payment stub.

Everything goes over HTTP as a browser would (login form, order form with its CSRF token, the hosted checkout
page, the stub's webhooks back to the server on whatever port it runs): no order is lost, none is paid twice,
every webhook event is processed exactly once. On SQLite always; on PostgreSQL when TEST_DATABASE_URL is one.
"""

from __future__ import annotations

import html
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from core.db import db
from core.districts import load_districts
from orders.models import Order, OrderEvent, OrderState
from payments.models import ProcessedWebhookEvent
from payments.stub.storage import deliveries
from registry.districts.models import Township
from tests.conftest import TEST_PASSWORD, district, make_user
from tests.registry.helpers import published_list
from wsgi import create_app

RESIDENTS = 50
WORKERS = 4
ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
INPUT = re.compile(r"<input\b[^>]*>", re.S)
ATTR = re.compile(r'([\w-]+)="([^"]*)"')


def _inputs(page: str) -> dict[str, str]:
    """name → value of every hidden input on a page (CSRF token, quote token ...)."""
    found = {}
    for tag in INPUT.findall(page):
        attrs = dict(ATTR.findall(tag))
        if attrs.get("type") == "hidden" and "name" in attrs:
            found[attrs["name"]] = html.unescape(attrs.get("value", ""))
    return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: The suite's own database decides: .ci/run runs the suite on SQLite, then again on PostgreSQL.
BACKEND = "postgresql" if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else "sqlite"


@pytest.fixture(params=[BACKEND])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.sqlite3'}"
        return
    url = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"conc_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _prepare(target, township_name="解放碑街道"):
    """A published 渝中区 list, a township and RESIDENTS households; returns (product id, township id, emails)."""
    with target.app_context():
        db.create_all()
        load_districts()
        db.session.commit()
        _official, suppliers, _version = published_list("500103")
        township = Township(district_id=district("500103").id, name=township_name)
        db.session.add(township)
        db.session.commit()
        emails = [make_user(email=f"buyer{i}@example.test", home_district_id=district("500103").id).email
                  for i in range(RESIDENTS)]
        product_id = suppliers[0][1][0].id
        township_id = township.id
        db.session.remove()
    return product_id, township_id, emails


@pytest.fixture
def server(database_url, tmp_path):
    """gunicorn with WORKERS workers on a free port, serving the app and the embedded stub."""
    target = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "ENV_NAME": "testing",
                         "STRIPE_STUB_EMBEDDED": False, "AUDIT_ANCHOR_PATH": str(tmp_path / "anchor.txt"),
                         "SEARCH_INDEX_DIR": str(tmp_path / "index"), "UPLOAD_DIR": str(tmp_path / "uploads")})
    product_id, township_id, emails = _prepare(target)
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=database_url, APP_ENV="development",
               STRIPE_STUB_DATABASE_URL=f"sqlite:///{tmp_path / 'stub.sqlite3'}",
               SEARCH_INDEX_DIR=str(tmp_path / "index"), UPLOAD_DIR=str(tmp_path / "uploads"),
               AUDIT_ANCHOR_PATH=str(tmp_path / "anchor.txt"), LOGIN_RATE_LIMIT="10000 per minute",
               RATELIMIT_STORAGE_URI="memory://", PYTHONWARNINGS="ignore")
    for name in ("STRIPE_API_BASE", "STRIPE_STUB_WEBHOOK_URL", "STRIPE_WEBHOOK_SECRET", "TEST_DATABASE_URL"):
        env.pop(name, None)
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [str(GUNICORN), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--timeout", "120", "wsgi:create_app()"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(base + "/login", timeout=30).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("gunicorn did not start:\n" + (tmp_path / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.3)
        yield {"base": base, "target": target, "product": product_id, "township": township_id,
               "emails": emails, "stub_db": env["STRIPE_STUB_DATABASE_URL"], "log": tmp_path / "gunicorn.log"}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()
        with target.app_context():
            db.session.remove()
            db.engine.dispose()


def _buy(base: str, email: str, product_id: int, township_id: int, barrier: threading.Barrier) -> str:
    """One resident: log in, order, pay with 4242 4242 4242 4242 at the hosted page. Returns the order URL."""
    http = requests.Session()
    login = http.get(f"{base}/login", timeout=60)
    barrier.wait(timeout=120)
    answer = http.post(f"{base}/login", data={**_inputs(login.text), "identifier": email,
                                               "password": TEST_PASSWORD}, allow_redirects=False, timeout=120)
    assert answer.status_code in (302, 303), (email, answer.status_code)
    form = http.get(f"{base}/orders/new", params={"product": product_id, "district": "500103"}, timeout=120)
    assert form.status_code == 200, (email, form.status_code)
    posted = http.post(f"{base}/orders/new?product={product_id}&district=500103", data={
        **_inputs(form.text), "quantity": "1", "township": str(township_id), "address": "解放碑街道 1 号 2-1",
        "contact_name": "张三", "contact_phone": "13800138000", "preferred_date": "",
    }, allow_redirects=False, timeout=120)
    assert posted.status_code == 303, (email, posted.status_code, posted.text[-2000:])
    checkout_url = posted.headers["Location"]
    assert "/_stripe/" in checkout_url and checkout_url.startswith(base), checkout_url
    page = http.get(checkout_url, timeout=120)
    assert page.status_code == 200
    paid = http.post(checkout_url, data={**_inputs(page.text), "card_number": "4242424242424242"},
                     allow_redirects=False, timeout=120)
    assert paid.status_code == 303, (email, paid.status_code)
    return paid.headers["Location"]


def test_fifty_residents_order_and_pay_at_once(server):
    barrier = threading.Barrier(RESIDENTS)
    with ThreadPoolExecutor(RESIDENTS) as pool:
        futures = [pool.submit(_buy, server["base"], email, server["product"], server["township"], barrier)
                   for email in server["emails"]]
        returned = [f.result(timeout=300) for f in futures]
    assert len(set(returned)) == RESIDENTS

    target = server["target"]
    deadline = time.monotonic() + 120
    with target.app_context():
        while True:
            db.session.expire_all()
            paid = db.session.scalar(select(func.count()).select_from(Order).where(Order.state == OrderState.paid))
            if paid == RESIDENTS or time.monotonic() > deadline:
                break
            db.session.rollback()
            time.sleep(0.5)
        orders = db.session.scalars(select(Order)).all()
        # no lost order, one per resident, every one paid in full exactly once
        assert len(orders) == RESIDENTS
        assert len({o.resident_id for o in orders}) == RESIDENTS
        assert Counter(o.state for o in orders) == {OrderState.paid: RESIDENTS}, server["log"].read_text()[-3000:]
        assert all(o.paid_fen == o.amount_fen > 0 for o in orders)
        paid_entries = Counter(db.session.scalars(select(OrderEvent.order_id).where(OrderEvent.to_state == "paid")))
        assert paid_entries == {o.id: 1 for o in orders}
        # every checkout.session.completed event processed once (the table's unique id makes twice impossible)
        completed = db.session.scalars(select(ProcessedWebhookEvent).where(
            ProcessedWebhookEvent.type == "checkout.session.completed")).all()
        assert len(completed) == RESIDENTS
        assert len({e.payload["data"]["object"]["metadata"]["order_id"] for e in completed}) == RESIDENTS
        db.session.remove()

    # the stub owes nothing: every delivery succeeded, none was claimed by two workers
    stub = create_engine(server["stub_db"])
    try:
        with stub.connect() as conn:
            states = Counter(row.state for row in conn.execute(select(deliveries)))
        assert set(states) == {"succeeded"}, states
    finally:
        stub.dispose()
