"""Sessions end on the server: logout, password change and deactivation rotate the session token."""

from sqlalchemy import select

from core.accounts.models import User
from core.permissions import Role
from tests.conftest import TEST_PASSWORD, make_user

REMEMBER = "remember_token"


def _login(client, email, remember=False):
    data = {"identifier": email, "password": TEST_PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302


def _cookies(client) -> dict[str, str]:
    found = {name: client.get_cookie(name) for name in ("session", REMEMBER)}
    return {name: cookie.value for name, cookie in found.items() if cookie is not None}


def _replay(app, cookies: dict[str, str]):
    """A second client holding copies of the captured cookies (the attacker's browser)."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def test_session_ids_carry_the_session_token(db):
    user = make_user(Role.resident)
    assert user.get_id() == f"{user.id}:{user.session_token}" and len(user.session_token) >= 40


def test_logout_ends_a_captured_session_cookie_and_remember_token(app, client):
    make_user(Role.resident, email="a@example.test")
    _login(client, "a@example.test", remember=True)
    captured = _cookies(client)
    assert REMEMBER in captured and "session" in captured
    assert _replay(app, captured).get("/account").status_code == 200
    client.post("/logout")
    assert _replay(app, captured).get("/account").status_code == 302
    assert _replay(app, {REMEMBER: captured[REMEMBER]}).get("/account").status_code == 302


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client):
    make_user(Role.resident, email="a@example.test")
    _login(client, "a@example.test", remember=True)
    elsewhere = app.test_client()
    _login(elsewhere, "a@example.test", remember=True)
    stolen = _cookies(elsewhere)
    response = client.post("/account", data={"current_password": TEST_PASSWORD,
                                             "new_password": "a-new-passphrase", "confirm": "a-new-passphrase"})
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert _replay(app, {REMEMBER: _cookies(client)[REMEMBER]}).get("/account").status_code == 200
    assert elsewhere.get("/account").status_code == 302
    assert _replay(app, {REMEMBER: stolen[REMEMBER]}).get("/account").status_code == 302


def test_deactivation_ends_the_accounts_sessions(app, client, db):
    make_user(Role.resident, email="a@example.test")
    _login(client, "a@example.test", remember=True)
    admin_client = app.test_client()
    admin = make_user(Role.admin, email="admin@example.test")
    _login(admin_client, "admin@example.test")
    victim = db.session.scalar(select(User).where(User.email == "a@example.test"))
    before = victim.session_token
    assert admin_client.post(f"/admin/users/{victim.id}/active").status_code == 302
    db.session.refresh(victim)
    assert victim.session_token != before and not victim.active
    assert client.get("/account").status_code == 302
    assert admin.active


def test_a_session_id_without_the_current_token_loads_no_one(app, client, db):
    user = make_user(Role.resident)
    for forged in (str(user.id), f"{user.id}:wrong", f"{user.id}:", "x:y"):
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/account").status_code == 302, forged

