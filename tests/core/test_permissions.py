"""Every protected URL refuses anonymous users and wrong roles."""

import pytest

from core.permissions import Role
from tests.conftest import make_user

ADMIN_URLS = ["/admin/users", "/admin/users/new"]
AUDIT_URLS = ["/audit"]
LOGGED_IN_URLS = ["/account", "/notifications"]


@pytest.mark.parametrize("url", ADMIN_URLS + AUDIT_URLS + LOGGED_IN_URLS)
def test_anonymous_users_are_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", [Role.resident, Role.supplier, Role.district_official, Role.regulator,
                                  Role.inspector])
@pytest.mark.parametrize("url", ADMIN_URLS)
def test_admin_pages_refuse_other_roles(client, as_user, role, url):
    kwargs = {"districts": ("500103",)} if role in (Role.district_official, Role.inspector) else {}
    as_user(role, **kwargs)
    response = client.get(url)
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.resident, Role.supplier, Role.inspector])
def test_audit_log_refuses_other_roles(client, as_user, role):
    as_user(role, **({"districts": ("500103",)} if role == Role.inspector else {}))
    assert client.get("/audit").status_code == 403


@pytest.mark.parametrize("role", [Role.admin, Role.regulator])
def test_audit_log_open_to_admins_and_regulators(client, as_user, role):
    as_user(role)
    assert client.get("/audit").status_code == 200


def test_admin_post_actions_refuse_non_admins(client, as_user, db):
    victim = make_user(Role.resident)
    as_user(Role.regulator)
    assert client.post(f"/admin/users/{victim.id}/active").status_code == 403
    db.session.refresh(victim)
    assert victim.active


def test_admin_creates_district_official(client, as_user, db):
    from sqlalchemy import select

    from core.accounts.models import User
    from tests.conftest import district

    as_user(Role.admin)
    response = client.post("/admin/users/new", data={
        "display_name": "江北区官员", "email": "jb@example.test", "role": "district_official",
        "district": district("500105").id, "password": "a-long-password"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "jb@example.test"))
    assert user.is_official_of(district("500105").id) and not user.is_official_of(district("500103").id)


def test_official_without_district_is_refused(client, as_user, db):
    as_user(Role.admin)
    page = client.post("/admin/users/new", data={
        "display_name": "X", "email": "x@example.test", "role": "district_official", "district": 0,
        "password": "a-long-password"}).get_data(as_text=True)
    assert "该角色必须指定区县" in page


def test_admin_cannot_deactivate_self(client, as_user, db):
    admin = as_user(Role.admin)
    client.post(f"/admin/users/{admin.id}/active")
    db.session.refresh(admin)
    assert admin.active
