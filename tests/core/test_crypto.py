"""Personal data is encrypted at rest and found through a blind index."""

from pathlib import Path

import pytest
from sqlalchemy import text

from core import crypto
from core.accounts.services import find_by_login
from core.permissions import Role
from tests.conftest import make_user


def test_round_trip_and_tamper_detection(app):
    token = crypto.encrypt("重庆市渝中区解放碑 1 号")
    assert crypto.decrypt(token) == "重庆市渝中区解放碑 1 号"
    assert crypto.encrypt("same") != crypto.encrypt("same")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(ValueError):
        crypto.decrypt(tampered)


def test_phone_number_is_not_stored_in_plain_text(app, db):
    make_user(Role.resident, phone="13512345678")
    raw = db.session.execute(text('SELECT phone, phone_index FROM "user"')).all()
    assert all("13512345678" not in (p or "") and "13512345678" not in (i or "") for p, i in raw)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite:///"):
        db.session.execute(text("PRAGMA wal_checkpoint(FULL)"))
        for suffix in ("", "-wal"):
            path = Path(url[len("sqlite:///"):] + suffix)
            if path.exists():
                assert b"13512345678" not in path.read_bytes()


def test_login_lookup_by_phone_uses_the_blind_index(db):
    user = make_user(Role.resident, phone="13512345678")
    assert find_by_login("13512345678").id == user.id
    assert find_by_login("13512345679") is None


@pytest.mark.parametrize("phone,masked", [("13812345678", "138****5678"), (None, "")])
def test_masking(phone, masked):
    assert crypto.mask_phone(phone) == masked
