"""Weak passwords are refused at registration, password change, admin and CLI account creation."""

import pytest
from sqlalchemy import select

from core.accounts.models import User
from core.accounts.passwords import common_passwords, password_problem
from core.demo import DEMO_PASSWORD
from core.permissions import Role
from tests.conftest import TEST_PASSWORD, district, make_user

WEAK = [("aaaaaaaaaa", "trivial"), ("1234567890", "trivial"), ("password12", "common"),
        ("abcdefghijk", "trivial"), ("0987654321", "trivial"), ("xyzxyzxyzxyz", "trivial"),
        ("qwertyuiop", "trivial"), ("Sunshine2026!", "common"), ("iloveyou1314", "common")]
MESSAGES = {"common": "这个密码太常见", "trivial": "重复或连续的字符", "personal": "邮箱、手机号码或姓名"}


def test_the_bundled_list_holds_thousands_of_common_passwords():
    assert len(common_passwords()) > 5000 and "iloveyou" in common_passwords()


@pytest.mark.parametrize("password,problem", WEAK)
def test_weak_passwords_are_named(password, problem):
    assert password_problem(password) == problem


@pytest.mark.parametrize("password", ["wang.lei@example.test", "wanglei-secret", "my13800000001",
                                      "x00000001-home", "王小明家里的燃气密码"])
def test_passwords_containing_the_email_phone_or_name_are_refused(password):
    assert password_problem(password, email="wang.lei@example.test", phone="13800000001",
                            name="王小明") == "personal"


@pytest.mark.parametrize("password", [DEMO_PASSWORD, TEST_PASSWORD, "a-long-password", "山城火锅 2026 冬天"])
def test_reasonable_passwords_pass(password):
    assert password_problem(password, email="wang@example.test", name="王先生") is None


def _register(client, password, **query):
    data = {"resident_kind": "household", "display_name": "王先生", "email": "wang@example.test",
            "phone": "13800000001", "home_district": district("500103").id,
            "password": password, "confirm": password}
    return client.post("/register", data=data, query_string=query)


@pytest.mark.parametrize("password,problem", [*WEAK[:3], ("wang@example.test", "personal"),
                                              ("wang-13800000001", "personal")])
def test_registration_refuses_weak_passwords_with_a_message(client, db, password, problem):
    page = _register(client, password).get_data(as_text=True)
    assert MESSAGES[problem] in page
    assert db.session.scalar(select(User).where(User.email == "wang@example.test")) is None


def test_registration_message_is_translated(client, db):
    page = _register(client, "password12", lang="en").get_data(as_text=True)
    assert "too common" in page


def test_password_change_refuses_weak_and_personal_passwords(client, as_user):
    user = as_user(Role.resident, email="zhao.min@example.test")
    for weak in ("aaaaaaaaaa", "zhao.min-2026"):
        page = client.post("/account", data={"current_password": TEST_PASSWORD, "new_password": weak,
                                             "confirm": weak}).get_data(as_text=True)
        assert "密码" in page and "已修改" not in page
    assert user.check_password(TEST_PASSWORD)


def test_admin_cannot_create_an_account_with_a_weak_password(client, as_user, db):
    as_user(Role.admin)
    page = client.post("/admin/users/new", data={"display_name": "李主任", "email": "li@example.test",
                                                 "role": "regulator", "district": 0,
                                                 "password": "password12"}).get_data(as_text=True)
    assert MESSAGES["common"] in page
    assert db.session.scalar(select(User).where(User.email == "li@example.test")) is None


def test_cli_refuses_a_weak_password(app, db):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "ops@example.test", "--name",
                                                "Ops", "--role", "admin", "--password", "password12"])
    assert result.exit_code == 2
    assert db.session.scalar(select(User).where(User.email == "ops@example.test")) is None


def test_demo_accounts_keep_their_seeded_password(app, client, db):
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    response = client.post("/login", data={"identifier": "admin@demo.local", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert make_user(Role.resident).check_password(TEST_PASSWORD)
