"""The gas utility's platform keys: /utility/keys for the inspectors of its districts."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.db import db
from core.permissions import Role
from suppliers import keys
from suppliers.keys import PlatformKey
from tests.conftest import district, login, make_user
from tests.devices.factories import make_device_world, supplier_key, utility_key

TOKEN = re.compile(r"gsk_[0-9a-f]{10}_[A-Za-z0-9_-]{43}")


@pytest.fixture
def world():
    return make_device_world()


@pytest.fixture
def two_district_inspector():
    return make_user(Role.inspector, districts=("500103", "500105"), display_name="双区安检员")


def _new_keys():
    return list(db.session.scalars(select(PlatformKey).order_by(PlatformKey.id)))


def test_page_offers_the_inspectors_districts_all_checked(client, two_district_inspector):
    login(client, two_district_inspector)
    page = client.get("/utility/keys")
    assert page.status_code == 200
    boxes = re.findall(r'<input[^>]*name="districts"[^>]*>', page.text)
    assert len(boxes) == 2 and all("checked" in b for b in boxes)
    values = {int(re.search(r'value="(\d+)"', b).group(1)) for b in boxes}
    assert values == {district("500103").id, district("500105").id}
    assert "/api/v1/utility/devices" in page.text and "只在创建时显示一次" in page.text


def test_create_for_all_districts_by_default(client, two_district_inspector):
    login(client, two_district_inspector)
    response = client.post("/utility/keys", data={"name": "监控平台", "districts": [
        district("500103").id, district("500105").id]})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    token = TOKEN.search(response.text).group(0)
    (key,) = _new_keys()
    assert key.kind == "utility" and key.supplier_id is None
    assert {d.code for d in key.districts} == {"500103", "500105"}
    assert keys.authenticate(token).id == key.id
    assert all(token not in repr((e.before, e.after)) for e in db.session.scalars(select(AuditEntry)))
    assert token not in client.get("/utility/keys").text


def test_create_for_some_districts(client, two_district_inspector):
    login(client, two_district_inspector)
    response = client.post("/utility/keys", data={"name": "渝中区平台", "districts": [district("500103").id]})
    assert TOKEN.search(response.text)
    (key,) = _new_keys()
    assert [d.code for d in key.districts] == ["500103"]


def test_create_refuses_another_district_or_none_or_junk(client, world):
    login(client, world.inspector)  # 500103 only
    for districts in ([district("500105").id], [district("500103").id, district("500105").id], [], ["abc"]):
        response = client.post("/utility/keys", data={"name": "平台", "districts": districts})
        assert response.status_code == 200 and not TOKEN.search(response.text)
        assert "请修正下列标出的问题" in response.text
    response = client.post("/utility/keys", data={"name": "", "districts": [district("500103").id]})
    assert not TOKEN.search(response.text)
    assert _new_keys() == []


def test_lists_only_keys_touching_the_inspectors_districts(client, world):
    own, _ = utility_key("500103", name="本区密钥")
    shared, _ = utility_key("500103", "500105", name="两区共用")
    foreign, _ = utility_key("500105", name="江北密钥")
    supplier_key(world.supplier, name="供应商密钥")
    login(client, world.inspector)
    page = client.get("/utility/keys").text
    assert "本区密钥" in page and "两区共用" in page
    assert "江北密钥" not in page and "供应商密钥" not in page and foreign.prefix not in page
    assert f"/utility/keys/{own.id}/revoke" in page
    assert f"/utility/keys/{shared.id}/revoke" not in page  # covers a district the inspector does not


def test_revoke_own_key(client, world):
    key, token = utility_key("500103")
    login(client, world.inspector)
    response = client.post(f"/utility/keys/{key.id}/revoke")
    assert response.status_code == 302
    db.session.refresh(key)
    assert key.revoked_at is not None and key.revoked_by_id == world.inspector.id
    assert keys.authenticate(token) is None
    assert "早已吊销" in client.post(f"/utility/keys/{key.id}/revoke", follow_redirects=True).text


def test_cannot_revoke_a_key_beyond_ones_districts(client, world):
    shared, shared_token = utility_key("500103", "500105")
    foreign, _ = utility_key("500105")
    company, _ = supplier_key(world.supplier)
    login(client, world.inspector)
    for key in (shared, foreign, company):
        assert client.post(f"/utility/keys/{key.id}/revoke").status_code == 404
    assert client.post("/utility/keys/424242/revoke").status_code == 404
    assert all(k.revoked_at is None for k in _new_keys())
    assert keys.authenticate(shared_token) is not None


def test_two_district_inspector_can_revoke_the_shared_key(client, world, two_district_inspector):
    shared, _ = utility_key("500103", "500105")
    login(client, two_district_inspector)
    assert client.post(f"/utility/keys/{shared.id}/revoke").status_code == 302
    db.session.refresh(shared)
    assert shared.revoked_at is not None


@pytest.mark.parametrize("role", [Role.resident, Role.supplier, Role.district_official, Role.regulator, Role.admin])
def test_other_roles_are_refused(client, world, role):
    key, _ = utility_key("500103")
    user = make_user(role, districts=("500103",) if role == Role.district_official else ())
    login(client, user)
    assert client.get("/utility/keys").status_code == 403
    assert client.post("/utility/keys", data={"name": "x", "districts": [district("500103").id]}).status_code == 403
    assert client.post(f"/utility/keys/{key.id}/revoke").status_code == 403
    assert len(_new_keys()) == 1 and _new_keys()[0].revoked_at is None


def test_supplier_staff_are_refused(client, world):
    login(client, world.staff)
    assert client.get("/utility/keys").status_code == 403


def test_anonymous_goes_to_login(client, world):
    key, _ = utility_key("500103")
    for response in (client.get("/utility/keys"), client.post("/utility/keys", data={"name": "x"}),
                     client.post(f"/utility/keys/{key.id}/revoke")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_csrf_protected(csrf_app, world):
    key, _ = utility_key("500103")
    client = csrf_app.test_client()
    login(client, world.inspector)
    response = client.post("/utility/keys", data={"name": "x", "districts": [district("500103").id]})
    assert not TOKEN.search(response.text)
    assert client.post(f"/utility/keys/{key.id}/revoke").status_code == 400
    assert len(_new_keys()) == 1 and _new_keys()[0].revoked_at is None


def test_inspector_menu_has_the_keys(client, world):
    login(client, world.inspector)
    assert 'href="/utility/keys"' in client.get("/").text
