"""Ordering (SPEC 3.3): only a product on the district's current list, only at its published price."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from core.db import db
from core.permissions import Role
from orders.models import OrderState
from registry.lists import services as list_services
from tests.conftest import district, login, make_user
from tests.orders.order_helpers import form, household, listed, order_url, orders_of, policy

S = OrderState


@pytest.fixture
def world():
    return listed()


def test_the_form_has_the_contract_fields_and_shows_the_amount_payable(client, world):
    login(client, household())
    page = client.get(order_url(world))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("quantity", "township", "community", "address", "contact_name", "contact_phone",
                 "building_over_100m", "preferred_date", "csrf_token"):
        assert f'name="{name}"' in html, name
    assert "¥249.00" in html  # ¥199 device + ¥50 installation, before confirming
    assert "解放碑街道" in html


def test_a_valid_post_creates_the_order_and_sends_the_resident_to_the_hosted_checkout(client, world, paying):
    user = household()
    login(client, user)
    answer = client.post(order_url(world), data=form(world, quantity="2"))
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith(paying.url + "/c/pay/cs_")
    [order] = orders_of(user)
    assert order.state == S.pending_payment
    assert (order.subtotal_fen, order.subsidy_fen, order.amount_fen) == (2 * 24900, 0, 2 * 24900)
    assert order.lines[0].unit_price_fen == 19900 and order.lines[0].install_fee_fen == 5000
    assert order.list_version_id == world.version.id
    session = paying.sdk.v1.checkout.sessions.retrieve(order.checkout_session_id)
    assert session.amount_total == 2 * 24900 and session.metadata["order_id"] == str(order.id)


def test_posted_prices_are_ignored(client, world, paying):
    user = household()
    login(client, user)
    client.post(order_url(world), data=form(world, price_fen="1", unit_price_fen="1", amount_fen="0",
                                            subsidy_fen="24900", install_fee_fen="0"))
    [order] = orders_of(user)
    assert order.amount_fen == 24900


def test_a_stale_price_token_is_refused_and_the_new_price_shown(client, world, paying):
    user = household(category="other")  # "other" needs no verification
    login(client, user)
    html = client.get(order_url(world)).get_data(as_text=True)
    token = re.search(r'name="quote"[^>]*value="([^"]+)"', html).group(1)
    policy(category="other", amount_fen=5000)  # a subsidy starts while the resident fills in the form
    answer = client.post(order_url(world), data=form(world, quote=token))
    assert answer.status_code == 409
    assert "新金额" in answer.get_data(as_text=True)
    assert orders_of(user) == []
    fresh = re.search(r'name="quote"[^>]*value="([^"]+)"', answer.get_data(as_text=True)).group(1)
    assert client.post(order_url(world), data=form(world, quote=fresh)).status_code == 303
    assert orders_of(user)[0].subsidy_fen == 5000


def test_a_forged_price_token_is_refused(client, world):
    user = household()
    login(client, user)
    assert client.post(order_url(world), data=form(world, quote="0" * 32)).status_code == 409
    assert orders_of(user) == []


def test_a_product_not_on_the_districts_current_list_cannot_be_ordered(client, world, paying):
    user = household()
    login(client, user)
    assert client.get(order_url(world, code="500105")).status_code == 404  # listed only in 渝中区
    assert client.post(order_url(world, code="500105"), data=form(world)).status_code == 404
    assert client.get("/orders/new?product=999999&district=500103").status_code == 404
    assert client.get("/orders/new?product=abc&district=500103").status_code == 404
    assert client.get("/orders/new?district=500103").status_code == 404
    assert client.get(f"/orders/new?product={world.valve.id}&district=999999").status_code == 404
    list_services.remove_supplier(district("500103"), world.supplier, actor=world.official, reason="借用资质")
    db.session.commit()
    page = client.get(order_url(world))
    assert page.status_code == 404 and "不在" in page.get_data(as_text=True)
    assert client.post(order_url(world), data=form(world)).status_code == 404
    assert orders_of(user) == []


def test_a_suspended_supplier_cannot_be_ordered_from(client, world):
    from suppliers.models import SupplierStatus

    world.supplier.status = SupplierStatus.suspended
    db.session.commit()
    login(client, household())
    assert client.get(order_url(world)).status_code == 404


def test_the_early_application_price_is_charged_while_valid(client, world, paying):
    valve = world.valve
    valve.early_price_fen, valve.early_price_until = 15900, date.today() + timedelta(days=30)
    db.session.commit()
    list_services.publish_list(district("500103"), actor=world.official)
    db.session.commit()
    user = household()
    login(client, user)
    client.post(order_url(world), data=form(world))
    [order] = orders_of(user)
    assert order.lines[0].unit_price_fen == 15900 and order.lines[0].published_price_fen == 19900
    assert order.amount_fen == 15900 + 5000


def test_a_fully_subsidised_order_skips_payment(client, world):
    policy(category="low_income", amount_fen=50000)
    user = household(category="low_income")
    login(client, user)
    answer = client.post(order_url(world), data=form(world))
    [order] = orders_of(user)
    assert answer.status_code == 303 and answer.headers["Location"].endswith(f"/orders/{order.id}")
    assert order.state == S.paid and order.amount_fen == 0 and order.subsidy_fen == 24900
    assert order.payments == []


@pytest.mark.parametrize(("field", "value"), [
    ("quantity", "0"), ("quantity", "21"), ("quantity", "abc"), ("quantity", ""),
    ("township", ""), ("township", "999999"), ("address", ""), ("address", "   "),
    ("contact_name", ""), ("contact_phone", "12345"), ("preferred_date", "2020-01-01"),
    ("preferred_date", "01/02/2027"), ("community", "999999"), ("address", "a\x00b"),
])
def test_bad_input_gets_a_message_and_creates_nothing(client, world, field, value):
    user = household()
    login(client, user)
    answer = client.post(order_url(world), data=form(world, **{field: value}))
    assert answer.status_code == 400
    assert "invalid-feedback" in answer.get_data(as_text=True)
    assert orders_of(user) == []


def test_a_township_of_another_district_is_refused(client, world):
    other = listed("500105")
    user = household()
    login(client, user)
    answer = client.post(order_url(world), data=form(world, township=str(other.township.id)))
    assert answer.status_code == 400 and orders_of(user) == []


def test_an_old_community_household_must_name_its_community(client, world, paying):
    user = household(category="old_community", community=world.community)
    login(client, user)
    html = client.get(order_url(world)).get_data(as_text=True)
    chosen = world.community.id
    assert re.search(rf'<option[^>]*selected[^>]*value="{chosen}"|<option[^>]*value="{chosen}"[^>]*selected', html)
    assert client.post(order_url(world), data=form(world)).status_code == 400
    assert client.post(order_url(world), data=form(world, community=str(world.community.id))).status_code == 303
    assert orders_of(user)[0].community_id == world.community.id


def test_anonymous_is_sent_to_log_in_and_staff_cannot_order(client, world):
    answer = client.get(order_url(world))
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    login(client, make_user(Role.district_official, districts=("500103",)))
    assert client.get(order_url(world)).status_code == 403
    assert client.post(order_url(world), data=form(world)).status_code == 403


def test_a_double_click_opens_the_same_order(client, world, paying):
    user = household()
    login(client, user)
    first = client.post(order_url(world), data=form(world))
    second = client.post(order_url(world), data=form(world))
    assert len(orders_of(user)) == 1
    assert first.headers["Location"] == second.headers["Location"]


def test_the_preview_button_recomputes_without_creating(client, world):
    user = household()
    login(client, user)
    answer = client.post(order_url(world), data=form(world, quantity="3", preview="1"))
    assert answer.status_code == 200 and "¥747.00" in answer.get_data(as_text=True)
    assert orders_of(user) == []


def test_order_buttons_on_the_list_product_and_compare_pages(client, world):
    link = f'/orders/new?product={world.valve.id}&amp;district=500103'
    assert link in client.get("/districts/500103").get_data(as_text=True)
    assert link in client.get(f"/products/{world.valve.id}").get_data(as_text=True)
    other = world.suppliers[1][1][0]
    html = client.get(f"/compare?ids={world.valve.id},{other.id}").get_data(as_text=True)
    assert link in html and f'/orders/new?product={other.id}&amp;district=500103' in html


def test_the_order_pages_read_in_english(client, world, paying):
    login(client, household())
    html = client.get(order_url(world) + "&lang=en").get_data(as_text=True)
    assert "Place an order" in html and "Amount payable" in html


@pytest.mark.parametrize(("category", "status", "expected"), [
    ("low_income", "verified", "low_income"),  # a subsidy policy pays for it
    ("registered_poor", "verified", "registered_poor"),  # no policy for it: no subsidy, still counted as such
    ("low_income", "pending", "other"),  # not verified yet: not a priority household for the statistics
    ("low_income", "rejected", "other"),
    (None, None, "other"),
])
def test_the_order_keeps_the_households_category_for_the_monthly_report(client, world, category, status,
                                                                         expected):
    policy(category="low_income", amount_fen=5000)
    user = household(category=category, status=status or "verified")
    login(client, user)
    client.post(order_url(world), data=form(world))
    [order] = orders_of(user)
    assert order.household_category == expected
    assert (order.subsidy_category is not None) == (expected == "low_income")
