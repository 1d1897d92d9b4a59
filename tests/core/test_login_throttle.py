"""Per-account login back-off: holds across addresses and workers, capped, and tells nothing."""

from datetime import timedelta

from core.accounts import throttle
from core.accounts.throttle import LoginThrottle
from core.db import as_utc, now_utc
from core.permissions import Role
from tests.conftest import TEST_PASSWORD, make_user


def _attempt(client, identifier, password, n=0):
    return client.post("/login", data={"identifier": identifier, "password": password},
                       environ_base={"REMOTE_ADDR": f"198.51.100.{n % 250 + 1}"})


def test_wrong_passwords_from_many_addresses_lock_the_account(client, db):
    user = make_user(Role.resident, email="a@example.test")
    codes = [_attempt(client, "a@example.test", f"wrong-guess-{n}", n).status_code for n in range(5)]
    assert codes[:4] == [200] * 4 and codes[4] == 429
    refused = _attempt(client, "a@example.test", TEST_PASSWORD, 99)
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "登录失败次数过多" in page and "之后再试" in page
    assert client.get("/account").status_code == 302
    row = db.session.get(LoginThrottle, f"user:{user.id}")
    assert row.failures == 5 and as_utc(row.locked_until) > now_utc()


def test_the_lock_lapses_and_a_good_login_clears_the_count(client, db):
    user = make_user(Role.resident, email="a@example.test")
    for n in range(5):
        _attempt(client, "a@example.test", "wrong-guess", n)
    row = db.session.get(LoginThrottle, f"user:{user.id}")
    row.locked_until = now_utc() - timedelta(seconds=1)
    db.session.commit()
    assert _attempt(client, "a@example.test", TEST_PASSWORD).status_code == 302
    assert db.session.get(LoginThrottle, f"user:{user.id}") is None


def test_email_and_phone_share_one_count(client, db):
    user = make_user(Role.resident, email="a@example.test", phone="13712345678")
    for n in range(3):
        _attempt(client, "a@example.test", "wrong-guess", n)
    for n in range(2):
        _attempt(client, "13712345678", "wrong-guess", n)
    assert db.session.get(LoginThrottle, f"user:{user.id}").failures == 5
    assert _attempt(client, "137 1234 5678", TEST_PASSWORD).status_code == 429


def test_unknown_accounts_answer_exactly_like_known_ones(client, db):
    make_user(Role.resident, email="a@example.test")
    known = [_attempt(client, "a@example.test", "wrong-guess", n) for n in range(6)]
    unknown = [_attempt(client, "nobody@example.test", "wrong-guess", n) for n in range(6)]
    assert [r.status_code for r in known] == [r.status_code for r in unknown]
    assert "登录失败次数过多" in unknown[-1].get_data(as_text=True)


def test_the_delay_doubles_and_is_capped_at_fifteen_minutes(app, db):
    delays = [throttle.delay_after(n) for n in range(1, 20)]
    assert delays[:4] == [None] * 4
    assert delays[4] == timedelta(seconds=30) and delays[5] == timedelta(seconds=60)
    assert max(d for d in delays if d) == timedelta(minutes=15) == delays[-1]


def test_failures_older_than_a_day_are_forgotten(client, db):
    user = make_user(Role.resident, email="a@example.test")
    db.session.add(LoginThrottle(key=f"user:{user.id}", failures=40,
                                 last_failure_at=now_utc() - timedelta(days=2)))
    db.session.commit()
    assert _attempt(client, "a@example.test", "wrong-guess").status_code == 200
    assert db.session.get(LoginThrottle, f"user:{user.id}").failures == 1
