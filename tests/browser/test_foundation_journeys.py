"""A person logs in, switches language and logs out in a real browser."""

from core.permissions import Role
from tests.conftest import TEST_PASSWORD, make_user


def test_login_language_switch_and_logout(live_server, page, db):
    make_user(Role.admin, email="admin@example.test", display_name="管理员小王")
    page.goto(live_server + "/")
    assert "燃气安全装置服务平台" in page.title()
    page.get_by_role("link", name="登录").first.click()
    page.get_by_label("邮箱或手机号码").fill("admin@example.test")
    page.get_by_label("密码").fill(TEST_PASSWORD)
    page.get_by_role("button", name="登录").click()
    assert page.get_by_text("欢迎回来，管理员小王。").is_visible()
    page.get_by_role("link", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("summary", has_text="More").click()  # what does not fit the row is under "More"
    assert page.get_by_role("link", name="Accounts").is_visible()
    page.locator("summary.user-name").click()  # my account and logging out are under the user's name
    page.get_by_role("button", name="Log out").click()
    assert page.get_by_text("You have been logged out.").is_visible()


def test_failed_login_shows_generic_message(live_server, page, db):
    page.goto(live_server + "/login")
    page.get_by_label("邮箱或手机号码").fill("nobody@example.test")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    page.get_by_text("账号或密码不正确。").wait_for(state="visible")  # after the answer to the POST, however slow


def test_keyboard_user_can_reach_the_skip_link(live_server, page, db):
    page.goto(live_server + "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "跳到主要内容" in focused


def test_menu_is_usable_on_a_phone_without_javascript(live_server, browser, db):
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/")
    assert page.get_by_role("link", name="区县目录清单").first.is_visible()
    page.get_by_role("link", name="登录").first.click()
    assert page.get_by_label("邮箱或手机号码").is_visible()
    context.close()
