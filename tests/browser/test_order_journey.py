"""The resident's whole journey in a real browser, on the demo data, paying on the stub's hosted page:

advisor → district list filtered to the device → order form → hosted checkout with 4242 4242 4242 4242 → paid
(from the webhook) → the supplier schedules and installs → the resident confirms → the inspector passes it.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import stripe
from sqlalchemy import select

from core.db import db
from orders.models import Order
from payments.stub import create_app as create_stub
from payments.stub import shutdown
from payments.stub.delivery import deliver_due
from payments.stub.state import stub_state
from suppliers.models import SupplierStaff
from tests.browser.test_main_journeys import log_in
from tests.payments.conftest import LiveServer, stub_config

API_KEY = "sk_test_browser_journey"


@pytest.fixture
def hosted_checkout(app, live_server, tmp_path, monkeypatch):
    """A live stub the app pays through, delivering its webhooks to the live app (on demand)."""
    stub = create_stub(stub_config(tmp_path))
    server = LiveServer(stub)
    http = stripe.RequestsClient()
    sdk = stripe.StripeClient(API_KEY, base_addresses={"api": server.url}, max_network_retries=0, http_client=http)
    endpoint = sdk.v1.webhook_endpoints.create(params={"url": live_server + "/payments/webhook",
                                                       "enabled_events": ["*"]})
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", server.url)
    monkeypatch.setitem(app.config, "STRIPE_API_KEY", API_KEY)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", endpoint.secret)
    yield lambda: deliver_due(stub_state(stub))
    http.close()
    server.close()
    shutdown(stub)


def order_state(page) -> str:
    return page.locator("[data-order-state]").first.get_attribute("data-order-state")


def test_from_what_to_install_to_an_inspected_installation(live_server, browser, demo, hosted_checkout):
    resident = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 900})  # a phone
    page = resident.new_page()
    log_in(page, live_server, "resident.rejected@demo.local")  # a 渝中区 household with no valve yet

    # what must I install? (the advisor, from the resident's answers)
    page.goto(live_server + "/advisor")
    page.get_by_label("居民用户（家庭）").check()
    page.get_by_label("已经在用管道天然气（既有用户）").check()
    page.get_by_label("不超过 100 米").check()
    page.get_by_label("以上都不是").check()
    page.get_by_label("您所在的区县").select_option("500103")
    page.get_by_role("button", name="看看我要装什么").click()
    assert page.get_by_text("自闭阀").first.is_visible()
    page.get_by_role("link", name=re.compile("在渝中区清单中挑选")).first.click()
    assert "/districts/500103" in page.url and "device_type=self_closing_valve" in page.url

    # the list, filtered to valves → the order form
    page.locator("[data-order-button]").first.click()
    assert page.get_by_role("heading", name="下单安装").is_visible()
    page.get_by_label("街道（乡镇）").select_option(index=1)
    page.get_by_label("详细地址").fill("民族路 88 号 3 单元 502")
    page.get_by_label("联系电话").fill("13800138000")
    page.get_by_label("希望上门的日期（可选）").fill((date.today() + timedelta(days=3)).isoformat())
    amount = page.locator("[data-order-amount]").inner_text()
    page.get_by_role("button", name=re.compile("提交订单")).click()

    # the hosted checkout page of the stub: pay with the test card
    page.wait_for_url(re.compile(r"/c/pay/cs_"))
    page.locator("input[name=card_number]").fill("4242424242424242")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r"/orders/\d+\?checkout=done"))
    assert order_state(page) == "pending_payment"  # the redirect alone pays nothing
    order_id = int(re.search(r"/orders/(\d+)", page.url).group(1))
    hosted_checkout()  # the provider's webhooks reach the server
    page.goto(f"{live_server}/orders/{order_id}")
    assert order_state(page) == "paid"
    assert page.get_by_text(amount.replace("¥", "")).first.is_visible()

    # the supplier schedules and installs
    supplier_id = db.session.get(Order, order_id).supplier_id
    staff_email = db.session.scalar(select(SupplierStaff).where(SupplierStaff.supplier_id == supplier_id)).user.email
    work = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900}).new_page()
    log_in(work, live_server, staff_email)
    work.goto(f"{live_server}/supplier/orders/{order_id}")
    work.get_by_label("上门日期", exact=True).fill((date.today() + timedelta(days=2)).isoformat())
    work.get_by_label("上门时间", exact=True).fill("09:30")
    work.get_by_role("button", name="保存预约并通知用户").click()
    assert work.get_by_text("已预约上门时间").first.is_visible()
    work.get_by_label("工业互联网标识", exact=True).fill(f"88.520.6/CQ-JOURNEY-{order_id:06d}")
    work.get_by_label("被动标识载体（二维码/RFID/NFC 标签）").check()
    work.get_by_label("序列号", exact=True).fill(f"SN-JOURNEY-{order_id}")
    work.get_by_role("button", name="确认安装完成").click()
    assert work.get_by_text("安装已登记").first.is_visible()

    # the resident confirms
    page.goto(f"{live_server}/orders/{order_id}")
    assert order_state(page) == "installed"
    page.get_by_role("button", name="确认安装").click()
    assert order_state(page) == "confirmed"

    # the inspector of 渝中区 passes it
    check = browser.new_context(locale="zh-CN").new_page()
    log_in(check, live_server, "inspector.500103@demo.local")
    check.goto(f"{live_server}/inspections/{order_id}")
    check.get_by_label("合格", exact=True).check()
    check.get_by_role("button", name="提交验收结果").click()
    page.goto(f"{live_server}/orders/{order_id}")
    assert order_state(page) == "inspected"
    assert page.get_by_text(f"CQ-JOURNEY-{order_id:06d}").first.is_visible()
