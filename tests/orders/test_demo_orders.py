"""seed-demo's orders (SPEC 7): every state, paid through the stub, devices with identifiers, idempotent."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from core.accounts.models import User
from core.db import db
from devices.models import InstalledDevice
from orders.models import INSTALLED_STATES, PAID_STATES, InspectionResult, Order, OrderState, PaymentStatus
from payments.models import ProcessedWebhookEvent
from tests.conftest import login

S = OrderState


def _orders() -> list[Order]:
    return db.session.scalars(select(Order).order_by(Order.id)).all()


def _user(email: str) -> User:
    return db.session.scalar(select(User).where(User.email == email))


def test_demo_orders_are_in_every_state_paid_through_the_stub_and_seeded_once(app, demo):
    orders = _orders()
    assert set(Counter(order.state for order in orders)) == set(OrderState)
    for order in orders:
        paid = order.state in PAID_STATES or order.state == S.refunded
        if paid and order.amount_fen > 0:
            assert order.payment_intent_id and order.paid_fen == order.amount_fen, order
            assert [p.status for p in order.payments].count(PaymentStatus.paid) == 1, order
        if order.state in INSTALLED_STATES or order.inspections:
            devices = db.session.scalars(select(InstalledDevice).where(InstalledDevice.order_id == order.id)).all()
            assert len(devices) == order.device_count, order
            assert all(d.identifier.startswith("88.520.6/CQ-DEMO-") and d.serial for d in devices)
    assert {str(d.carrier) for d in db.session.scalars(select(InstalledDevice))} == {"passive", "active"}
    refunded = next(o for o in orders if o.state == S.refunded)
    assert refunded.refunded_fen == refunded.paid_fen > 0 and refunded.refund_id
    # (an order of the company the complaints demo delisted is flagged and can no longer be paid)
    pending = next(o for o in orders if o.state == S.pending_payment and o.supplier_withdrawn_at is None)
    assert pending.payable and pending.payments[-1].status == PaymentStatus.open
    assert pending.payments[-1].failure_code  # a declined card was tried first
    canceled = next(o for o in orders if o.state == S.canceled)
    assert canceled.paid_fen == 0 and all(p.status == PaymentStatus.expired for p in canceled.payments)
    free = [o for o in orders if o.amount_fen == 0]
    assert free and all(o.state in PAID_STATES and not o.payments and o.subsidy_fen > 0 for o in free)
    inspected = next(o for o in orders if o.state == S.inspected)
    assert inspected.inspections[-1].result == InspectionResult.passed
    reopened = [o for o in orders if o.state == S.scheduled and o.inspections]
    assert reopened and reopened[0].inspections[-1].result == InspectionResult.failed
    assert any(o.resident.email == "org@demo.local" for o in orders)
    assert len({o.district_id for o in orders}) >= 2

    events = db.session.scalar(select(func.count(ProcessedWebhookEvent.id)))
    timeline = sum(len(o.events) for o in orders)
    assert app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    db.session.expire_all()
    assert len(_orders()) == len(orders)
    assert sum(len(o.events) for o in _orders()) == timeline
    assert db.session.scalar(select(func.count(ProcessedWebhookEvent.id))) == events
    assert app.config.get("STRIPE_API_BASE") is None  # the seed's provider is gone again


def test_demo_residents_see_their_orders_and_their_timelines(client, demo):
    resident = _user("resident@demo.local")
    login(client, resident)
    listing = client.get("/orders")
    assert listing.status_code == 200
    page = listing.get_data(as_text=True)
    mine = [o for o in _orders() if o.resident_id == resident.id]
    assert len(mine) >= 3 and all(o.number in page for o in mine)
    for order in _orders():
        login(client, order.resident)
        answer = client.get(f"/orders/{order.id}")
        assert answer.status_code == 200, order
        assert f'data-order-state="{order.state.value}"' in answer.get_data(as_text=True)
