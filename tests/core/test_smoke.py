from core.permissions import Role
from tests.conftest import make_user


def test_home_page_is_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "燃气安全装置服务平台" in response.get_data(as_text=True)


def test_admin_page_refuses_resident(client, as_user):
    as_user(Role.resident)
    assert client.get("/admin/users").status_code == 403


def test_factory_user_can_log_in_through_form(client):
    user = make_user(Role.admin, email="boss@example.test")
    response = client.post("/login", data={"identifier": "boss@example.test", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get("/admin/users").status_code == 200
    assert user.id
