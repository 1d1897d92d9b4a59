"""Login, registration, password change, logout and redirects."""

import pytest
from sqlalchemy import select

from core.accounts.models import OrganisationKind, ResidentKind, User
from core.permissions import Role
from tests.conftest import TEST_PASSWORD, district, make_user


def _login(client, identifier, password=TEST_PASSWORD, **query):
    return client.post("/login", data={"identifier": identifier, "password": password}, query_string=query)


def test_login_with_email_then_logout(client):
    make_user(Role.resident, email="a@example.test")
    assert _login(client, "A@example.test ").status_code == 302
    assert client.get("/account").status_code == 200
    client.post("/logout")
    assert client.get("/account").status_code == 302


def test_login_with_mobile_number(client):
    make_user(Role.resident, email=None, phone="13712345678")
    response = _login(client, "137 1234 5678")
    assert response.status_code == 302
    assert client.get("/account").status_code == 200


@pytest.mark.parametrize("identifier,password", [("a@example.test", "wrong-password"),
                                                 ("nobody@example.test", TEST_PASSWORD)])
def test_failed_login_never_says_which_part_was_wrong(client, identifier, password):
    make_user(Role.resident, email="a@example.test")
    page = _login(client, identifier, password).get_data(as_text=True)
    assert "账号或密码不正确" in page
    assert "不存在" not in page and "密码错误" not in page


def test_inactive_account_cannot_log_in(client):
    make_user(Role.resident, email="off@example.test", active=False)
    assert "账号或密码不正确" in _login(client, "off@example.test").get_data(as_text=True)


@pytest.mark.parametrize("target,expected", [
    ("/account", "/account"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_redirects_only_to_local_paths(client, target, expected):
    make_user(Role.resident, email="a@example.test")
    response = _login(client, "a@example.test", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_is_rate_limited(app, client):
    from core.extensions import limiter

    make_user(Role.resident, email="a@example.test")
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    limiter.reset()
    try:
        codes = [_login(client, "a@example.test", "bad-password").status_code for _ in range(4)]
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429


def test_household_registers_and_logs_in_straight_away(client, db):
    response = client.post("/register", data={
        "resident_kind": "household", "display_name": "王先生", "email": "wang@example.test",
        "phone": "13800000001", "home_district": district("500103").id,
        "password": "a-long-password", "confirm": "a-long-password"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    user = db.session.scalar(select(User).where(User.email == "wang@example.test"))
    assert user.has_role(Role.resident) and user.resident_kind == ResidentKind.household
    assert user.phone == "13800000001" and user.check_password("a-long-password")
    assert _login(client, "wang@example.test", "a-long-password").status_code == 302
    assert client.get("/account").status_code == 200


def test_organisation_must_choose_its_kind(client, db):
    data = {"resident_kind": "organisation", "display_name": "小面馆", "email": "shop@example.test",
            "home_district": district("500103").id, "password": "a-long-password", "confirm": "a-long-password"}
    page = client.post("/register", data=data).get_data(as_text=True)
    assert "单位用户请选择单位类别" in page
    assert db.session.scalar(select(User).where(User.email == "shop@example.test")) is None
    assert client.post("/register", data={**data, "organisation_kind": "restaurant"}).status_code == 302
    user = db.session.scalar(select(User).where(User.email == "shop@example.test"))
    assert user.organisation_kind == OrganisationKind.restaurant


@pytest.mark.parametrize("change,message", [
    ({"email": "", "phone": ""}, "请填写邮箱或手机号码"),
    ({"phone": "12345"}, "请输入 11 位手机号码"),
    ({"confirm": "different-password"}, "两次输入的密码不一致"),
    ({"password": "short", "confirm": "short"}, "密码长度应为 10 到 128 个字符"),
])
def test_registration_rejects_bad_input_and_stores_nothing(client, db, change, message):
    data = {"resident_kind": "household", "display_name": "王先生", "email": "wang@example.test",
            "home_district": district("500103").id, "password": "a-long-password", "confirm": "a-long-password"}
    page = client.post("/register", data={**data, **change}).get_data(as_text=True)
    assert message in page
    assert db.session.scalar(select(User).where(User.display_name == "王先生")) is None




def test_password_change_requires_current_password(client, as_user):
    user = as_user(Role.resident)
    bad = client.post("/account", data={"current_password": "nope", "new_password": "new-password-1",
                                         "confirm": "new-password-1"})
    assert "当前密码不正确" in bad.get_data(as_text=True)
    ok = client.post("/account", data={"current_password": TEST_PASSWORD, "new_password": "new-password-1",
                                        "confirm": "new-password-1"})
    assert ok.status_code == 302
    assert user.check_password("new-password-1")


def test_passwords_are_hashed_with_scrypt(db):
    user = make_user(Role.resident)
    assert user.password_hash.startswith("scrypt:")
    assert TEST_PASSWORD not in user.password_hash
