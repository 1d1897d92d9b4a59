"""Commands: users create, seed-demo (idempotent, all demo accounts can log in)."""

import pytest
from sqlalchemy import func, select

from core.accounts.models import User
from core.districts import District
from tests.conftest import district


def test_users_create_official_scoped_to_district(app, db):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "off@example.test", "--name", "官员", "--role", "district_official",
        "--district", "500105", "--password", "a-long-password"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "off@example.test"))
    assert user.is_official_of(district("500105").id)


@pytest.mark.parametrize("args,message", [
    (["--role", "district_official"], "needs --district"),
    (["--role", "inspector", "--district", "999999"], "unknown district"),
    (["--role", "admin", "--password", "short"], "at least 10"),
])
def test_users_create_refuses_bad_input(app, db, args, message):
    base = ["users", "create", "--email", "x@example.test", "--name", "X"]
    if "--password" not in args:
        args = [*args, "--password", "a-long-password"]
    result = app.test_cli_runner().invoke(args=base + args)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(User).where(User.email == "x@example.test")) is None


def test_seed_demo_is_idempotent_and_accounts_log_in(app, client, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    users = db.session.scalar(select(func.count()).select_from(User))
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == users
    assert db.session.scalar(select(func.count()).select_from(District)) == 41
    for email in ["admin@demo.local", "regulator@demo.local", "official.500103@demo.local",
                  "inspector.500103@demo.local", "resident@demo.local", "resident2@demo.local",
                  "org@demo.local", "supplier1@demo.local", "supplier12@demo.local"]:
        response = client.post("/login", data={"identifier": email, "password": "demo-pass-2026"})
        assert response.status_code == 302, email
        client.post("/logout")
    assert runner.invoke(args=["seed-demo", "--if-empty"]).output.strip() == "skipped"
