"""suppliers.services.set_status: regulators suspend, blacklist and reinstate; audited; the signal is sent."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from core.errors import DomainError, NotAllowed
from core.permissions import Role
from suppliers import services
from suppliers.models import SupplierStatus
from suppliers.signals import supplier_status_changed
from tests.conftest import make_user
from tests.registry.factories import make_supplier


@pytest.fixture
def received():
    seen = []

    def receiver(supplier, **kwargs):
        seen.append((supplier.id, kwargs["before"], kwargs["after"]))

    supplier_status_changed.connect(receiver)
    yield seen
    supplier_status_changed.disconnect(receiver)


def test_regulator_suspends_and_reinstates(db, received):
    supplier, regulator = make_supplier(), make_user(Role.regulator)
    assert services.set_status(supplier, SupplierStatus.suspended, regulator, "案件 TS-2026-000001")
    assert supplier.status == SupplierStatus.suspended and supplier.is_barred()
    assert not services.set_status(supplier, SupplierStatus.suspended, regulator, "again")  # nothing changed
    services.set_status(supplier, SupplierStatus.verified, regulator, "恢复")
    assert received == [(supplier.id, SupplierStatus.verified, SupplierStatus.suspended),
                        (supplier.id, SupplierStatus.suspended, SupplierStatus.verified)]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "supplier.status_changed")).all()
    assert [e.reason for e in entries] == ["案件 TS-2026-000001", "恢复"]


def test_blacklist_records_its_end_and_reinstating_clears_it(db):
    supplier, regulator = make_supplier(), make_user(Role.regulator)
    until = date.today() + timedelta(days=30)
    with pytest.raises(DomainError):
        services.set_status(supplier, SupplierStatus.blacklisted, regulator, "拉黑")
    services.set_status(supplier, SupplierStatus.blacklisted, regulator, "拉黑", blacklisted_until=until)
    assert supplier.blacklisted_until == until
    services.set_status(supplier, SupplierStatus.verified, None, "期满")  # the system
    assert supplier.blacklisted_until is None and supplier.status == SupplierStatus.verified


@pytest.mark.parametrize("role", [Role.resident, Role.supplier, Role.district_official])
def test_others_may_not_change_the_status(db, role, received):
    supplier = make_supplier()
    with pytest.raises(NotAllowed):
        services.set_status(supplier, SupplierStatus.suspended, make_user(role), "x")
    assert supplier.status == SupplierStatus.verified and received == []


def test_a_reason_is_required(db):
    with pytest.raises(DomainError):
        services.set_status(make_supplier(), SupplierStatus.suspended, make_user(Role.regulator), "  ")
