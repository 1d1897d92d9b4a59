"""/register never tells which emails or numbers are registered, and is rate-limited."""

import pytest
from sqlalchemy import func, select

from core.accounts.models import User
from core.audit import AuditEntry
from core.extensions import limiter
from core.notifications import Notification
from core.permissions import Role
from tests.conftest import TEST_PASSWORD, district, make_user


def _register(client, **change):
    data = {"resident_kind": "household", "display_name": "王先生", "email": "new@example.test",
            "phone": "", "home_district": district("500103").id,
            "password": "a-long-password", "confirm": "a-long-password", **change}
    return client.post("/register", data=data)


@pytest.mark.parametrize("taken", [{"email": "taken@example.test"}, {"phone": "13712345678"},
                                   {"email": "TAKEN@example.test", "phone": "13912345678"}])
def test_a_taken_email_or_number_gets_the_same_answer_as_a_new_one(app, client, db, taken):
    holder = make_user(Role.resident, email="taken@example.test", phone="13712345678")
    fresh = _register(client)
    fresh_page = client.get(fresh.headers["Location"]).get_data(as_text=True)
    other = app.test_client()
    duplicate = _register(other, **taken)
    duplicate_page = other.get(duplicate.headers["Location"]).get_data(as_text=True)
    assert (fresh.status_code, fresh.headers["Location"]) == (duplicate.status_code, duplicate.headers["Location"])
    assert fresh_page == duplicate_page
    assert "已注册" not in duplicate_page.replace("如果已注册过", "")
    assert db.session.scalar(select(func.count()).select_from(User)) == 2
    note = db.session.scalars(select(Notification).where(Notification.user_id == holder.id)).one()
    assert "注册新账号" in note.subject_text
    assert db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "user.registration_refused_duplicate", AuditEntry.target_id == str(holder.id)))
    assert holder.check_password(TEST_PASSWORD)


def test_a_duplicate_cannot_log_in_with_the_password_it_chose(client, db):
    make_user(Role.resident, email="taken@example.test")
    _register(client, email="taken@example.test", password="another-long-one", confirm="another-long-one")
    response = client.post("/login", data={"identifier": "taken@example.test", "password": "another-long-one"})
    assert response.status_code == 200 and client.get("/account").status_code == 302


def test_registration_is_rate_limited(app, client, db):
    app.config["REGISTER_RATE_LIMIT"] = "2 per minute"
    limiter.reset()
    try:
        codes = [_register(client, email=f"n{n}@example.test").status_code for n in range(3)]
    finally:
        app.config["REGISTER_RATE_LIMIT"] = "10000 per minute"
        limiter.reset()
    assert codes == [302, 302, 429]
    assert db.session.scalar(select(User).where(User.email == "n2@example.test")) is None
