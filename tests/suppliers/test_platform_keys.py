"""The supplier's platform keys page: /supplier/keys — create (shown once), list, revoke, scoping."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db
from core.permissions import Role
from suppliers import keys
from suppliers.keys import PlatformKey
from tests.conftest import login, make_user
from tests.devices.factories import make_device_world, supplier_key, utility_key

TOKEN = re.compile(r"gsk_[0-9a-f]{10}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def world():
    return make_device_world()


def _create(client, name="设备平台生产环境"):
    return client.post("/supplier/keys", data={"name": name})


def test_page_lists_the_companys_keys_with_help(client, world):
    own, _token = supplier_key(world.supplier, actor=world.staff, name="生产环境")
    other, _ = supplier_key(world.other_supplier, name="别家的密钥")
    login(client, world.staff)
    page = client.get("/supplier/keys")
    assert page.status_code == 200
    assert "生产环境" in page.text and f"gsk_{own.prefix}…" in page.text
    assert "别家的密钥" not in page.text and other.prefix not in page.text
    assert "从未使用" in page.text and "平台运维" in page.text  # created by
    assert "/api/v1/device-events" in page.text and 'href="/api"' in page.text
    assert "只在创建时显示一次" in page.text and "吊销" in page.text
    assert not TOKEN.search(page.text)


def test_workbench_links_to_the_keys(client, world):
    login(client, world.staff)
    assert 'href="/supplier/keys"' in client.get("/supplier").text


def test_create_shows_the_key_once_and_stores_only_its_hash(client, world):
    login(client, world.staff)
    response = _create(client)
    assert response.status_code == 200  # rendered, not redirected
    assert response.headers["Cache-Control"] == "no-store"
    token = TOKEN.search(response.text).group(0)
    assert "不能再次查看" in response.text or "无法再次查看" in response.text
    key = db.session.scalar(select(PlatformKey).where(PlatformKey.supplier_id == world.supplier.id))
    assert key.name == "设备平台生产环境" and key.created_by_id == world.staff.id
    assert token.startswith(f"gsk_{key.prefix}_") and token not in key.secret_hash
    assert keys.authenticate(token).id == key.id
    # never in the audit log, the session cookie, a flash or a later page
    entries = db.session.scalars(select(AuditEntry)).all()
    assert any(e.action == "platform_key.created" for e in entries)
    assert all(token not in repr((e.before, e.after, e.reason, e.actor_label)) for e in entries)
    secret = token.split("_", 2)[2]  # the secret itself may contain "_"
    assert all(secret not in repr((e.before, e.after)) for e in entries)
    cookies = " ".join(c.value for c in client._cookies.values())
    assert token not in cookies and secret not in cookies
    with client.session_transaction() as session:
        assert token not in repr(dict(session))
    reload = client.get("/supplier/keys")
    assert token not in reload.text and secret not in reload.text and f"gsk_{key.prefix}…" in reload.text


def test_create_refuses_a_missing_or_long_name(client, world):
    login(client, world.staff)
    for name in ("", "   ", "x" * 101, "bad\x00name"):
        response = _create(client, name)
        assert response.status_code == 200
        assert "请修正下列标出的问题" in response.text and not TOKEN.search(response.text)
    assert db.session.scalar(select(PlatformKey.id)) is None


def test_create_needs_the_csrf_token(csrf_app, world):
    client = csrf_app.test_client()
    login(client, world.staff)
    response = client.post("/supplier/keys", data={"name": "x"})
    assert response.status_code in (200, 400)
    assert not TOKEN.search(response.text)
    assert db.session.scalar(select(PlatformKey.id)) is None


def test_revoke_own_key(client, world):
    key, token = supplier_key(world.supplier)
    login(client, world.staff)
    response = client.post(f"/supplier/keys/{key.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/supplier/keys")
    db.session.refresh(key)
    assert key.revoked_at is not None and key.revoked_by_id == world.staff.id
    assert keys.authenticate(token) is None
    page = client.get("/supplier/keys")
    assert "已吊销" in page.text
    again = client.post(f"/supplier/keys/{key.id}/revoke", follow_redirects=True)
    assert again.status_code == 200 and "早已吊销" in again.text
    assert len([e for e in db.session.scalars(select(AuditEntry)) if e.action == "platform_key.revoked"]) == 1


def test_another_companys_or_a_utility_key_is_404(client, world):
    other, other_token = supplier_key(world.other_supplier)
    utility, _ = utility_key("500103")
    login(client, world.staff)
    assert client.post(f"/supplier/keys/{other.id}/revoke").status_code == 404
    assert client.post(f"/supplier/keys/{utility.id}/revoke").status_code == 404
    assert client.post("/supplier/keys/999999/revoke").status_code == 404
    db.session.refresh(other)
    assert other.revoked_at is None and keys.authenticate(other_token) is not None


def test_revoke_needs_post_and_the_csrf_token(csrf_app, world):
    key, _ = supplier_key(world.supplier)
    client = csrf_app.test_client()
    login(client, world.staff)
    assert client.get(f"/supplier/keys/{key.id}/revoke").status_code == 405
    assert client.post(f"/supplier/keys/{key.id}/revoke").status_code == 400
    db.session.refresh(key)
    assert key.revoked_at is None


@pytest.mark.parametrize("role", [Role.resident, Role.inspector, Role.district_official, Role.regulator, Role.admin])
def test_other_roles_are_refused(client, world, role):
    key, _ = supplier_key(world.supplier)
    user = make_user(role, districts=("500103",) if role in (Role.inspector, Role.district_official) else ())
    login(client, user)
    assert client.get("/supplier/keys").status_code == 403
    assert _create(client).status_code == 403
    assert client.post(f"/supplier/keys/{key.id}/revoke").status_code == 403
    assert db.session.scalar(select(PlatformKey.id).where(PlatformKey.id != key.id)) is None


def test_supplier_account_without_a_company_is_refused(client, world):
    login(client, make_user(Role.supplier))
    assert client.get("/supplier/keys").status_code == 403
    assert _create(client).status_code == 403


def test_anonymous_goes_to_login(client, world):
    key, _ = supplier_key(world.supplier)
    for response in (client.get("/supplier/keys"), _create(client), client.post(f"/supplier/keys/{key.id}/revoke")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert db.session.scalar(select(PlatformKey.revoked_at).where(PlatformKey.id == key.id)) is None


def test_page_in_english(client, world):
    supplier_key(world.supplier)
    login(client, world.staff)
    page = client.get("/supplier/keys?lang=en")
    assert page.status_code == 200
