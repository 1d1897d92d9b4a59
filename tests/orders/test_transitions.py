"""The order state machine (SPEC 3.3): every pair of states through orders.services.transition, and the
database's CHECK constraints that refuse an impossible order whatever code writes it.

Every (from, to) pair of OrderState is tried: the ALLOWED ones change the state, stamp the state's time,
write the timeline, the audit log and the inbox of every party; all the others raise InvalidTransition and
leave the order exactly as it was.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from core.audit import AuditEntry
from core.clock import now_utc
from core.db import as_utc, db
from core.errors import InvalidTransition
from core.i18n import N_
from core.notifications import Notification
from orders.models import (
    ALLOWED,
    CANCELABLE,
    FINAL_STATES,
    INSTALLED_STATES,
    ORDER_STATE_TITLES,
    Inspection,
    InspectionResult,
    Order,
    OrderLine,
    OrderState,
)
from orders.services import STATE_TIME, transition
from tests.conftest import login
from tests.orders.fulfil_helpers import FEE_FEN, UNIT_FEN, S, make_order, make_world, reload

PAIRS = [(before, after) for before in OrderState for after in OrderState]
ALLOWED_PAIRS = [pair for pair in PAIRS if pair[1] in ALLOWED[pair[0]]]
FORBIDDEN_PAIRS = [pair for pair in PAIRS if pair[1] not in ALLOWED[pair[0]]]
TIME_COLUMNS = ("paid_at", "appointment_at", "installed_at", "confirmed_at", "inspected_at", "canceled_at",
                "refunded_at")
MESSAGE = N_("订单 %(number)s：%(state)s")


def _ids(pairs):
    return [f"{a}->{b}" for a, b in pairs]


@pytest.fixture
def world():
    return make_world()



def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _inbox(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def _provide_what_the_caller_provides(order: Order, to: OrderState) -> None:
    """What the real caller of each transition sets before it (money and the appointment are not the state
    machine's to invent): the payment webhook the amount paid, the supplier the appointment, the refund webhook
    the amount refunded."""
    if to == S.paid:
        order.paid_fen = order.amount_fen
    if to == S.scheduled and order.appointment_at is None:
        order.appointment_at = now_utc() + timedelta(days=1)
    if to == S.refunded:
        if order.paid_fen == 0:  # a canceled order that had been paid
            order.paid_fen, order.paid_at = order.amount_fen, now_utc() - timedelta(days=1)
        order.refunded_fen = order.paid_fen


# The table itself ------------------------------------------------------------------------------------------


def test_every_pair_of_states_is_either_allowed_or_forbidden():
    assert len(ALLOWED_PAIRS) + len(FORBIDDEN_PAIRS) == len(OrderState) ** 2
    assert set(ALLOWED) == set(OrderState)
    assert all(before not in ALLOWED[before] for before in OrderState)  # no state "changes" into itself


def test_the_table_says_what_the_spec_says():
    before_installation = {S.pending_payment, S.paid, S.scheduled}
    assert {s for s in OrderState if S.canceled in ALLOWED[s]} == before_installation == CANCELABLE
    assert {s for s in OrderState if S.refunded in ALLOWED[s]} == {S.paid, S.scheduled, S.canceled}
    assert all(not ALLOWED[s] for s in FINAL_STATES)
    assert not any(ALLOWED[s] & {S.canceled, S.refunded} for s in INSTALLED_STATES)  # too late once installed
    path = [S.pending_payment, S.paid, S.scheduled, S.installed, S.confirmed, S.inspected]
    assert all(b in ALLOWED[a] for a, b in zip(path, path[1:], strict=False))
    reached, frontier = {S.pending_payment}, [S.pending_payment]
    while frontier:
        for nxt in ALLOWED[frontier.pop()] - reached:
            reached.add(nxt)
            frontier.append(nxt)
    assert reached == set(OrderState)


def test_every_state_but_the_first_and_scheduled_has_its_own_time_column():
    assert set(STATE_TIME) == set(OrderState) - {S.pending_payment, S.scheduled}  # scheduled: the appointment
    assert all(hasattr(Order, column) for column in STATE_TIME.values())


# Allowed transitions ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("before", "after"), ALLOWED_PAIRS, ids=_ids(ALLOWED_PAIRS))
def test_an_allowed_transition_changes_stamps_records_audits_and_tells_everyone(world, before, after):
    order = make_order(world, before)
    version = order.version_id
    _provide_what_the_caller_provides(order, after)
    start = now_utc()

    transition(order, after, actor=world.staff, message=MESSAGE, params={"number": order.number, "state": "x"})
    db.session.commit()

    order = reload(order)
    assert order.state == after and order.version_id == version + 1
    column = STATE_TIME.get(after)
    if column is not None:
        assert start <= as_utc(getattr(order, column)) <= now_utc()
    if after == S.refunded:  # a refunded order is a canceled one, whichever way it got there
        assert order.canceled_at is not None
    if after == S.scheduled and before == S.confirmed:  # a failed inspection reopens the installation
        assert order.installed_at is None and order.confirmed_at is None and order.appointment_at is not None
    [event] = order.events
    assert (event.from_state, event.to_state, event.actor_id) == (before.value, after.value, world.staff.id)
    assert event.message == MESSAGE
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.target_type == "Order",
                                                          AuditEntry.target_id == str(order.id))).all()
    assert entry.action == f"order.{after.value}" and entry.actor_id == world.staff.id
    assert (entry.before, entry.after) == ({"state": before.value}, {"state": after.value})
    for user in (world.resident, world.staff):
        [note] = _inbox(user)
        assert note.link == f"/orders/{order.id}" and order.number in note.subject_text
    assert _inbox(world.other_staff) == [] and _inbox(world.other_inspector) == []
    assert bool(_inbox(world.inspector)) == (after in (S.installed, S.confirmed))
    assert bool(_inbox(world.official)) == (after == S.inspected)


# Forbidden transitions -------------------------------------------------------------------------------------


def _snapshot(order: Order) -> dict:
    order = reload(order)
    return {"state": order.state, "version": order.version_id, "events": len(order.events),
            "times": {c: getattr(order, c) for c in TIME_COLUMNS},
            "audit": _count(AuditEntry), "inbox": _count(Notification)}


@pytest.mark.parametrize(("before", "after"), FORBIDDEN_PAIRS, ids=_ids(FORBIDDEN_PAIRS))
def test_a_forbidden_transition_is_refused_and_changes_nothing(world, before, after):
    order = make_order(world, before)
    unchanged = _snapshot(order)
    order = reload(order)

    with pytest.raises(InvalidTransition) as caught:
        transition(order, after, actor=world.staff, message=MESSAGE)

    assert caught.value.status_code == 409 and caught.value.message
    assert not db.session.dirty and not db.session.new
    db.session.commit()  # were anything left half-changed, it would be written now
    assert _snapshot(order) == unchanged


# The database's own guard ----------------------------------------------------------------------------------

#: (constraint, the state of the stored order, an UPDATE that makes it impossible)
IMPOSSIBLE = [
    ("paid_in_full", S.paid, "paid_fen = paid_fen - 1"),
    ("paid_in_full", S.scheduled, "paid_fen = 0"),
    ("amount_is_subtotal_less_subsidy", S.pending_payment, "subsidy_fen = 5000"),
    ("amount_is_subtotal_less_subsidy", S.pending_payment, "amount_fen = amount_fen + 100"),
    ("subsidy_within_subtotal", S.pending_payment, "subsidy_fen = -100, amount_fen = subtotal_fen + 100"),
    ("paid_within_amount", S.pending_payment, "paid_fen = amount_fen + 1"),
    ("refund_within_paid", S.paid, "refunded_fen = paid_fen + 1"),
    ("paid_has_time", S.paid, "paid_at = NULL"),
    ("scheduled_has_appointment", S.scheduled, "appointment_at = NULL"),
    ("installed_has_time", S.installed, "installed_at = NULL"),
    ("confirmed_has_time", S.confirmed, "confirmed_at = NULL"),
    ("inspected_iff_time", S.inspected, "inspected_at = NULL"),
    ("inspected_iff_time", S.confirmed, "inspected_at = confirmed_at"),
    ("canceled_iff_time", S.canceled, "canceled_at = NULL"),
    ("canceled_iff_time", S.paid, "canceled_at = paid_at"),
    ("refunded_iff_time", S.refunded, "refunded_at = NULL"),
    ("refunded_iff_time", S.canceled, "refunded_at = canceled_at"),
    ("refunded_in_full", S.refunded, "refunded_fen = paid_fen - 1"),
    ("attempts_not_negative", S.pending_payment, "payment_attempts = -1"),
    ("order_state", S.paid, "state = 'lost'"),
]


@pytest.mark.parametrize(("constraint", "state", "change"), IMPOSSIBLE,
                         ids=[f"{c}:{s}:{ch}" for c, s, ch in IMPOSSIBLE])
def test_the_database_refuses_an_impossible_order(world, constraint, state, change):
    order = make_order(world, state)
    version = order.version_id
    with pytest.raises(IntegrityError) as caught:
        db.session.execute(text(f"UPDATE purchase_order SET {change} WHERE id = :id"), {"id": order.id})  # noqa: S608
    assert f"ck_purchase_order_{constraint}" in str(caught.value.orig)
    db.session.rollback()
    order = reload(order)
    assert order.state == state and order.version_id == version


def _new_order(world, **fields) -> Order:
    """A pending order of one valve (¥199 + ¥50), with `fields` changed."""
    subtotal = UNIT_FEN + FEE_FEN
    values = {"resident_id": world.resident.id, "district_id": world.version.district_id,
              "supplier_id": world.supplier.id, "list_version_id": world.version.id, "state": S.pending_payment,
              "address": "民族路 1 号", "contact_name": "王小明", "contact_phone": "13800138000",
              "subtotal_fen": subtotal, "subsidy_fen": 0, "amount_fen": subtotal, "paid_fen": 0,
              "refunded_fen": 0} | fields
    order = Order(**values)
    order.lines = [OrderLine(product_id=world.product.id, quantity=1, unit_price_fen=UNIT_FEN,
                             install_fee_fen=FEE_FEN, published_price_fen=UNIT_FEN,
                             device_type=world.product.device_type, tier=world.product.tier, description="阀")]
    return order


@pytest.mark.parametrize(("constraint", "fields"), [
    ("paid_in_full", {"state": S.paid, "paid_fen": UNIT_FEN, "paid_at": now_utc()}),
    ("amount_is_subtotal_less_subsidy", {"subsidy_fen": 10000}),
    ("paid_has_time", {"state": S.paid, "paid_fen": UNIT_FEN + FEE_FEN}),
])
def test_an_impossible_new_order_is_not_stored(world, constraint, fields):
    db.session.add(_new_order(world, **fields))
    with pytest.raises(IntegrityError) as caught:
        db.session.commit()
    assert f"ck_purchase_order_{constraint}" in str(caught.value.orig)
    db.session.rollback()
    assert _count(Order) == 0
    db.session.add(_new_order(world))  # the same order, possible, is stored
    db.session.commit()
    assert _count(Order) == 1


def test_a_failed_inspection_without_notes_and_a_line_of_no_units_are_refused(world):
    order = make_order(world, S.confirmed)
    db.session.add(Inspection(order_id=order.id, inspector_id=world.inspector.id, result=InspectionResult.failed,
                              notes=""))
    with pytest.raises(IntegrityError) as caught:
        db.session.commit()
    assert "ck_inspection_failure_has_notes" in str(caught.value.orig)
    db.session.rollback()
    with pytest.raises(IntegrityError) as caught:
        db.session.execute(text("UPDATE order_line SET quantity = 0 WHERE order_id = :id"), {"id": order.id})
    assert "ck_order_line_quantity_range" in str(caught.value.orig)


# The pages refuse a move the table does not allow ----------------------------------------------------------

#: The resident's and the supplier's buttons that change the state, and the states they work in.
PAGE_ACTIONS = {
    "/orders/{id}/cancel": ("resident", CANCELABLE, {"reason": "不需要了"}),
    "/orders/{id}/confirm": ("resident", {S.installed}, {}),
    "/orders/{id}/pay": ("resident", {S.pending_payment}, {}),
    "/supplier/orders/{id}/cancel": ("staff", {S.paid, S.scheduled}, {"reason": "缺货"}),
}
WRONG_STATE = [(url, state) for url, (_who, states, _form) in PAGE_ACTIONS.items() for state in OrderState
               if state not in states]


@pytest.mark.parametrize(("url", "state"), WRONG_STATE, ids=[f"{u}:{s}" for u, s in WRONG_STATE])
def test_a_button_pressed_in_a_state_that_does_not_allow_it_changes_nothing(client, world, url, state):
    who, _states, form = PAGE_ACTIONS[url]
    order = make_order(world, state)
    unchanged = _snapshot(order)
    login(client, getattr(world, who))

    response = client.post(url.format(id=order.id), data=form)

    assert response.status_code == 303
    assert _snapshot(order) == unchanged
    page = client.get(response.location).get_data(as_text=True)
    [message] = re.findall(r'class="alert alert-\w+ alert-dismissible[^>]*>\s*(.*?)\s*<button', page, re.S)
    assert message == _why_not(url, state)


def _why_not(url: str, state: OrderState) -> str:
    """What the page must say: the truth about the order's state (a canceled order was never "installed")."""
    if url == "/orders/{id}/cancel":
        return "订单已安装，不能再取消。如有问题请联系安装单位或投诉。" if state in INSTALLED_STATES else "订单已取消。"
    if url == "/orders/{id}/confirm":
        return f"订单当前状态为“{ORDER_STATE_TITLES[state]}”，不能变为“{ORDER_STATE_TITLES[S.confirmed]}”。"
    if url == "/orders/{id}/pay":
        return "这个订单现在不需要付款。"
    return "只有已付款、尚未安装的订单可以由安装单位取消。"
