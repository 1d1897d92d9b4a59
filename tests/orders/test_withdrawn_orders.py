"""An unpaid order of a company removed from the list or barred is never paid, and the sweep cancels it."""

from __future__ import annotations

from core.clock import now_utc
from core.db import db
from orders.models import OrderState
from orders.sweep import sweep
from suppliers.models import SupplierStatus
from tests.conftest import login
from tests.orders.fulfil_helpers import make_order, make_world, reload


def test_a_withdrawn_companys_unpaid_order_cannot_be_paid_and_is_canceled_by_the_sweep(client):
    world = make_world()
    order = make_order(world, OrderState.pending_payment)
    assert order.payable
    order.supplier_withdrawn_at, order.supplier_withdrawn_case = now_utc(), "JB-2026-000001"
    db.session.commit()
    assert not reload(order).payable
    login(client, world.resident)
    response = client.post(f"/orders/{order.id}/pay")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/orders/{order.id}")
    result = sweep()
    db.session.commit()
    assert order.id in result.expired and reload(order).state == OrderState.canceled


def test_a_suspended_companys_unpaid_order_cannot_be_paid(client):
    world = make_world()
    order = make_order(world, OrderState.pending_payment)
    world.supplier.status = SupplierStatus.suspended
    db.session.commit()
    assert not reload(order).payable
    login(client, world.resident)
    client.post(f"/orders/{order.id}/pay")
    assert reload(order).state == OrderState.pending_payment and not reload(order).payments
