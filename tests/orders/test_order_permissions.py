"""Who may do what with an order: every order URL of the app against every kind of viewer (SPEC 2, 3.3, 8).

The matrix below has one row per (method, rule) of the url_map under /orders, /supplier/orders and
/inspections, and one column per viewer. A route added without a row fails
`test_the_matrix_covers_every_order_url`. A refused request never shows the order and changes nothing:
neither its state nor its version, its timeline, the audit log nor the number of orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.clock import now_utc, to_shanghai
from core.db import db
from core.permissions import Role
from orders.models import Order, OrderState
from tests.conftest import login, make_user
from tests.orders import order_helpers
from tests.orders.fulfil_helpers import S, make_order, make_world

#: The viewers, in the order of the matrix's columns.
ACTORS = ("anonymous", "resident", "other_resident", "staff", "other_staff", "official", "other_official",
          "inspector", "other_inspector", "regulator", "admin")
PREFIXES = ("/orders", "/supplier/orders", "/inspections")
#: The district of the published list /orders/new is tried with (the orders themselves are in 500103).
LIST_DISTRICT = "500106"

# What a viewer gets:
LOGIN = "login"    # 302 to the login page
SHOWN = "shown"    # 200 with the order on the page
HIDDEN = "hidden"  # 200, the viewer's own (empty) list: the order is not on it
OK = "ok"          # 200 (a page that is not about one order)
DONE = "done"      # the POST does its work: a redirect, and `done` holds afterwards


def _appointment() -> dict:
    local = to_shanghai(now_utc() + timedelta(days=1))
    return {"appointment_date": local.strftime("%Y-%m-%d"), "appointment_time": local.strftime("%H:%M"), "note": ""}


def _installation() -> dict:
    local = to_shanghai(now_utc() - timedelta(hours=1))
    return {"installed_date": local.strftime("%Y-%m-%d"), "installed_time": local.strftime("%H:%M"),
            "devices-0-identifier": "GS-2026-646464", "devices-0-carrier": "passive", "devices-0-serial": "SN64"}


@dataclass(frozen=True)
class Row:
    """One URL: the order's state when it is tried, what each viewer gets (ACTORS order), the form posted and
    what an allowed POST leaves behind."""

    state: OrderState
    expected: tuple
    form: object = dict
    done: object = None  # (order, actor user, stub) -> bool
    stub: bool = False   # the allowed POST talks to the payment provider
    listed: bool = False  # the URL needs a published list (/orders/new)


def _state_is(state: OrderState):
    return lambda order, _user, _stub: order.state == state


def _paying_started(order, _user, stub):
    """Still pending payment, with one checkout session opened on the provider."""
    return (order.state == S.pending_payment and order.payment_attempts == 1
            and order.payments[0].checkout_url.startswith(stub.url))


def _ordered(_order, user, stub):
    """A new order in the listed district, its payment page opened on the provider."""
    [new] = [o for o in order_helpers.orders_of(user) if o.district.code == LIST_DISTRICT]
    return _paying_started(new, user, stub)


R404 = (404,) * 9  # everyone but the resident
F403 = (403,) * 2  # the two residents
# Columns: anonymous, resident, other_resident, staff, other_staff, official, other_official, inspector,
# other_inspector, regulator, admin.
MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/orders"): Row(S.confirmed, (LOGIN, SHOWN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN, HIDDEN,
                                          HIDDEN, HIDDEN)),
    ("GET", "/orders/new"): Row(S.confirmed, (LOGIN, OK, OK, *(403,) * 8), listed=True),
    ("POST", "/orders/new"): Row(S.confirmed, (LOGIN, DONE, DONE, *(403,) * 8), listed=True, stub=True,
                                 done=_ordered),
    ("GET", "/orders/<int:order_id>"): Row(S.confirmed, (LOGIN, SHOWN, 404, SHOWN, 404, SHOWN, 404, SHOWN, 404,
                                                         SHOWN, 404)),
    ("GET", "/orders/<int:order_id>/receipt"): Row(S.confirmed, (LOGIN, SHOWN, 404, SHOWN, 404, SHOWN, 404, SHOWN,
                                                                 404, SHOWN, 404)),
    ("POST", "/orders/<int:order_id>/pay"): Row(S.pending_payment, (LOGIN, DONE, *R404), stub=True,
                                                done=_paying_started),
    ("POST", "/orders/<int:order_id>/cancel"): Row(S.pending_payment, (LOGIN, DONE, *R404),
                                                   form=lambda: {"reason": "不需要了"}, done=_state_is(S.canceled)),
    ("POST", "/orders/<int:order_id>/confirm"): Row(S.installed, (LOGIN, DONE, *R404), done=_state_is(S.confirmed)),
    ("GET", "/supplier/orders"): Row(S.paid, (LOGIN, *F403, SHOWN, HIDDEN, *(403,) * 6)),
    ("GET", "/supplier/orders/<int:order_id>"): Row(S.paid, (LOGIN, *F403, SHOWN, 404, *(403,) * 6)),
    ("POST", "/supplier/orders/<int:order_id>/schedule"): Row(S.paid, (LOGIN, *F403, DONE, 404, *(403,) * 6),
                                                              form=_appointment, done=_state_is(S.scheduled)),
    ("POST", "/supplier/orders/<int:order_id>/install"): Row(S.scheduled, (LOGIN, *F403, DONE, 404, *(403,) * 6),
                                                             form=_installation, done=_state_is(S.installed)),
    ("POST", "/supplier/orders/<int:order_id>/cancel"): Row(S.paid, (LOGIN, *F403, DONE, 404, *(403,) * 6),
                                                            form=lambda: {"reason": "该型号缺货，无法按期安装"},
                                                            done=_state_is(S.canceled)),
    ("GET", "/inspections"): Row(S.confirmed, (LOGIN, *(403,) * 6, SHOWN, HIDDEN, 403, 403)),
    ("GET", "/inspections/<int:order_id>"): Row(S.confirmed, (LOGIN, *(403,) * 6, SHOWN, 404, 403, 403)),
    ("POST", "/inspections/<int:order_id>"): Row(S.confirmed, (LOGIN, *(403,) * 6, DONE, 404, 403, 403),
                                                 form=lambda: {"result": "passed", "notes": ""},
                                                 done=_state_is(S.inspected)),
}


def test_the_matrix_covers_every_order_url(app):
    """A new order route must be given its row (and so be tried against every viewer) before it ships."""
    routes = {(method, rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith(PREFIXES)
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == set(MATRIX), (sorted(routes - set(MATRIX)), sorted(set(MATRIX) - routes))
    assert all(len(row.expected) == len(ACTORS) for row in MATRIX.values())


def _people(world) -> dict:
    return {"resident": world.resident, "other_resident": make_user(Role.resident),
            "staff": world.staff, "other_staff": world.other_staff,
            "official": world.official, "other_official": make_user(Role.district_official, districts=("500105",)),
            "inspector": world.inspector, "other_inspector": world.other_inspector,
            "regulator": make_user(Role.regulator), "admin": make_user(Role.admin)}


def _snapshot(order: Order) -> dict:
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    return {"state": order.state, "version": order.version_id, "events": len(order.events),
            "payments": len(order.payments), "orders": db.session.scalar(select(func.count()).select_from(Order)),
            "audit": db.session.scalar(select(func.count()).select_from(AuditEntry))}


CASES = [pytest.param(method, rule, actor, id=f"{method} {rule} {actor}") for (method, rule) in MATRIX
         for actor in ACTORS]


@pytest.mark.parametrize(("method", "rule", "actor"), CASES)
def test_permission_matrix(request, client, method, rule, actor):
    row = MATRIX[(method, rule)]
    expected = row.expected[ACTORS.index(actor)]
    stub = request.getfixturevalue("paying") if row.stub and expected == DONE else None
    world = make_world()
    order = make_order(world, row.state)
    user = _people(world).get(actor)
    url = rule.replace("<int:order_id>", str(order.id))
    if row.listed:
        shop = order_helpers.listed(LIST_DISTRICT)
        url = order_helpers.order_url(shop)
        form = order_helpers.form(shop)
    else:
        form = row.form()
    before = _snapshot(order)
    if user is not None:
        login(client, user)

    response = client.open(url, method=method, data=form if method == "POST" else None)

    body = response.get_data(as_text=True)
    if expected == DONE:
        assert response.status_code in (302, 303) and urlsplit(response.location).path != "/login", body[:500]
        db.session.expire_all()
        assert row.done(db.session.get(Order, order.id), user, stub)
        return
    if expected == LOGIN:
        assert response.status_code == 302 and urlsplit(response.location).path == "/login"
    elif expected in (SHOWN, HIDDEN, OK):
        assert response.status_code == 200
        if expected != OK:
            assert (order.number in body) == (expected == SHOWN)
    else:
        assert response.status_code == expected
    if expected != SHOWN:
        assert order.number not in body
    after = _snapshot(order)
    if expected == SHOWN:  # a view by someone else than the resident may audit the view (test_order_personal_data)
        before.pop("audit"), after.pop("audit")
    assert after == before
