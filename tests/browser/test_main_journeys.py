"""Main journeys in a real browser, on the demo data: choose and compare, publish a list, pre-check a product."""

import pytest
from sqlalchemy import select

from registry.lists.models import ListVersionItem
from suppliers.models import Supplier

DEMO_PASSWORD = "demo-pass-2026"


@pytest.fixture
def indexed_demo(app, demo):
    assert app.test_cli_runner().invoke(args=["search", "reindex"]).exit_code == 0


def log_in(page, base, email):
    page.goto(base + "/login")
    page.get_by_label("邮箱或手机号码").fill(email)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_resident_finds_and_compares_valves_with_subsidy(live_server, page, indexed_demo):
    log_in(page, live_server, "resident@demo.local")
    page.goto(live_server + "/search")
    page.get_by_label("关键词").fill("自闭阀")
    page.get_by_role("button", name="搜索").click()
    results = page.get_by_role("button", name="加入对比")
    assert results.count() >= 2
    results.first.click()
    page.get_by_role("button", name="加入对比").first.click()
    page.get_by_role("link", name="查看对比（2）").click()
    assert page.get_by_role("heading", name="产品对比").is_visible()
    assert page.get_by_text("补贴后").first.is_visible()
    assert page.get_by_role("button", name="移出对比").count() == 2


def test_official_publishes_a_new_version_of_the_list(live_server, page, indexed_demo, db):
    """An unchanged list is refused; after a change the official confirms on a page showing the diff."""
    log_in(page, live_server, "official.500103@demo.local")
    page.goto(live_server + "/official/districts/500103/list")
    assert page.get_by_text("候选名单符合公布要求。").is_visible()
    page.get_by_role("button", name="公布目录清单（生成新版本）").click()
    assert page.get_by_text("与当前版本相同").first.is_visible()

    listed = db.session.scalars(select(ListVersionItem.supplier_id)).first()
    db.session.get(Supplier, listed).phone = "023-88886666"
    db.session.commit()
    page.get_by_role("button", name="公布目录清单（生成新版本）").click()
    assert page.get_by_role("heading", name="确认公布目录清单").is_visible()
    assert page.get_by_text("将生成第 4 版").is_visible()
    page.get_by_role("button", name="确认公布").click()
    page.goto(live_server + "/districts/500103")
    assert page.get_by_text("第 4 版").first.is_visible()
    assert page.get_by_text("023-88886666").first.is_visible()


def test_supplier_sees_the_validator_verdict_before_saving(live_server, page, indexed_demo):
    log_in(page, live_server, "supplier1@demo.local")
    page.goto(live_server + "/supplier/products/new")
    page.get_by_label("装置类型").select_option("leak_alarm")
    page.get_by_label("用途（报警装置必填）").select_option("household")
    page.get_by_label("申报档次").select_option("mid")
    page.get_by_label("品牌", exact=True).fill("渝安")
    page.get_by_label("型号", exact=True).fill("JT-TEST-1")
    page.get_by_label("生产厂家", exact=True).fill("重庆渝安仪表有限公司")
    page.get_by_label("甲烷浓度检测").check()
    page.get_by_label("设备价格（元）").fill("298")
    page.get_by_label("安装费（元）").fill("60")
    page.get_by_role("button", name="预检（不保存）").click()
    assert page.get_by_text("一氧化碳浓度检测（中档及以上）").first.is_visible()  # the rule in words, not its id
    assert page.get_by_text("尚未提供证书，无法判断证书要求").first.is_visible()
