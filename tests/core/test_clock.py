"""One clock: business dates are Asia/Shanghai dates of `core.clock.now_utc`, never the server's zone."""

from datetime import UTC, date, datetime

import pytest

from core import clock
from core.db import db, now_utc
from registry.lists import services as list_services
from tests.conftest import district
from tests.registry.factories import make_full_supplier, make_official
from tests.registry.helpers import admit, open_call


def _at(monkeypatch, instant: datetime) -> None:
    monkeypatch.setattr(clock, "now_utc", lambda: instant)


def test_today_is_the_shanghai_date(monkeypatch):
    _at(monkeypatch, datetime(2026, 12, 1, 15, 59, tzinfo=UTC))
    assert clock.today_shanghai() == date(2026, 12, 1)
    _at(monkeypatch, datetime(2026, 12, 1, 16, 0, tzinfo=UTC))
    assert clock.today_shanghai() == date(2026, 12, 2)


def test_database_timestamps_come_from_the_clock(monkeypatch):
    instant = datetime(2030, 5, 6, 7, 8, tzinfo=UTC)
    _at(monkeypatch, instant)
    assert now_utc() == instant


@pytest.fixture
def working_list():
    official = make_official()
    call = open_call(official)
    pairs = [make_full_supplier() for _i in range(3)]
    for supplier, products in pairs:
        admit(call, official, supplier, products)
    cert = pairs[0][1][0].certificates[0]
    cert.valid_until = date(2026, 12, 1)
    db.session.commit()
    return cert


def _expired_numbers() -> set[str]:
    return {p.message for p in list_services.check_working_list(district("500103"))
            if p.rule == "list.certificate_expired"}


def test_certificate_expiry_follows_the_shanghai_date_not_the_server_date(monkeypatch, working_list):
    # 23:59 on 12-01 in Shanghai: the certificate valid until 12-01 is still valid.
    _at(monkeypatch, datetime(2026, 12, 1, 15, 59, tzinfo=UTC))
    assert _expired_numbers() == set()
    # 2026-12-01T20:00Z is 04:00 on 12-02 in Shanghai: it has expired, whatever the server's zone says.
    _at(monkeypatch, datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    assert any(working_list.number in message for message in _expired_numbers())
