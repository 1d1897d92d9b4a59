"""Product lifecycle: state machine, submission through the validator, authorisation, editing, signals."""

from datetime import date

import pytest
from sqlalchemy import select

from catalog import services
from catalog.models import ALLOWED, Product, ProductStatus, Tier
from catalog.signals import product_changed, product_invalidated, product_withdrawn
from core.audit import AuditEntry
from core.errors import DomainError, InvalidTransition, NotAllowed
from tests.catalog.factories import AS_OF, make_company, make_product, product_data
from tests.suppliers.factories import make_staff


@pytest.fixture
def company():
    supplier = make_company()
    return supplier, make_staff(supplier)


def _actions(product):
    return [e.action for e in AuditEntry.query.filter_by(target_type="Product", target_id=str(product.id))
            .order_by(AuditEntry.id)]


def test_allowed_table_covers_every_state():
    assert set(ALLOWED) == set(ProductStatus)
    assert ProductStatus.valid not in ALLOWED[ProductStatus.draft]  # never valid without submission


@pytest.mark.parametrize(("start", "target"), [
    (ProductStatus.draft, ProductStatus.valid), (ProductStatus.draft, ProductStatus.invalid),
    (ProductStatus.withdrawn, ProductStatus.valid), (ProductStatus.invalid, ProductStatus.valid),
    (ProductStatus.withdrawn, ProductStatus.submitted),
])
def test_transition_to_refuses_jumps(start, target):
    product = Product(status=start)
    with pytest.raises(InvalidTransition):
        product.transition_to(target)
    assert product.status == start


def test_new_product_is_a_draft_with_smart_flag_derived(company, db):
    supplier, staff = company
    product = services.create_product(supplier, product_data(tier=Tier.mid), actor=staff)
    assert product.status == ProductStatus.draft
    assert product.smart is True
    valve = services.create_product(supplier, product_data(device_type="self_closing_valve", tier=Tier.low,
                                                           features=["overpressure_close"]), actor=staff)
    assert valve.smart is False and valve.usage is None
    assert "product.created" in _actions(product)


def test_submit_valid_product_becomes_valid(company):
    supplier, staff = company
    product = make_product(supplier, staff, tier=Tier.high)
    assert product.status == ProductStatus.valid
    assert product.verdict["valid"] is True and product.verdict["qualifies_for"] == "high"
    assert "product.submitted" in _actions(product)


def test_submit_claiming_a_tier_it_does_not_meet_becomes_invalid(company, db):
    supplier, staff = company
    product = make_product(supplier, staff, tier=Tier.mid, submit=False,
                           features=["methane_detection", "passive_identifier", "status_collection",
                                     "valve_state_collection", "concentration_collection", "transmission_wired"])
    verdict = services.submit_product(product, actor=staff, as_of=AS_OF)
    db.session.commit()
    assert product.status == ProductStatus.invalid
    assert verdict["qualifies_for"] == "low"
    assert {"alarm.co", "alarm.interlock", "alarm.active_id", "alarm.user_notify"} <= {
        v["rule"] for v in product.verdict["violations"]}


def test_submit_without_authorisation_letter_is_invalid_until_uploaded(company, db):
    supplier, staff = company
    product = make_product(supplier, staff, submit=False, is_own_manufacture=False)
    services.submit_product(product, actor=staff, as_of=AS_OF)
    assert product.status == ProductStatus.invalid
    assert "catalog.authorisation" in [v["rule"] for v in product.verdict["violations"]]
    services.update_product(product, product_data(is_own_manufacture=False, model=product.model), actor=staff,
                            authorisation_file="authorisation-" + "a" * 32 + ".pdf")
    services.submit_product(product, actor=staff, as_of=AS_OF)
    assert product.status == ProductStatus.valid


def test_withdraw_sends_signal_and_reopen_returns_to_draft(company):
    supplier, staff = company
    product = make_product(supplier, staff)
    seen = []
    with product_withdrawn.connected_to(lambda sender, **kw: seen.append(sender)):
        services.withdraw_product(product, actor=staff)
    assert seen == [product] and product.status == ProductStatus.withdrawn
    assert not product.can_edit(staff)
    services.reopen_product(product, actor=staff)
    assert product.status == ProductStatus.draft


def test_price_change_on_valid_product_is_audited_and_signalled(company):
    supplier, staff = company
    product = make_product(supplier, staff)
    changes = []
    with product_changed.connected_to(lambda sender, **kw: changes.append(kw["changes"])):
        services.update_product(product, product_data(model=product.model, price_fen=35900), actor=staff,
                                as_of=AS_OF)
    assert product.status == ProductStatus.valid
    assert changes == [{"price_fen": (29900, 35900)}]
    entry = AuditEntry.query.filter_by(action="product.price_changed").one()
    assert entry.before == {"price_fen": 29900} and entry.after == {"price_fen": 35900}


def test_removing_a_feature_from_valid_product_invalidates_it(company):
    supplier, staff = company
    product = make_product(supplier, staff, tier=Tier.mid)
    invalidated = []
    features = [f for f in product.features if f != "co_detection"]
    with product_invalidated.connected_to(lambda sender, **kw: invalidated.append(kw["reason"])):
        services.update_product(product, product_data(model=product.model, features=features), actor=staff,
                                as_of=AS_OF)
    assert product.status == ProductStatus.invalid and invalidated


def test_early_price_needs_both_price_and_date(company):
    supplier, staff = company
    with pytest.raises(DomainError) as exc:
        services.create_product(supplier, product_data(early_price_fen=19900), actor=staff)
    assert exc.value.field == "early_price"
    product = services.create_product(supplier, product_data(early_price_fen=19900,
                                                             early_price_until=date(2027, 3, 31)), actor=staff)
    assert product.early_price_fen == 19900


def test_unknown_feature_is_refused(company):
    supplier, staff = company
    with pytest.raises(DomainError):
        services.create_product(supplier, product_data(features=["teleport"]), actor=staff)


def test_suspended_company_cannot_add_or_submit(db):
    supplier = make_company(status="suspended")
    staff = make_staff(supplier)
    with pytest.raises(NotAllowed):
        services.create_product(supplier, product_data(), actor=staff)


def test_preview_verdict_does_not_store_anything(company, db):
    supplier, staff = company
    verdict = services.preview_verdict(product_data(tier=Tier.high), as_of=AS_OF)
    assert verdict["valid"] is False  # no certificates yet
    assert {v["rule"] for v in verdict["violations"]} == {"alarm.certificates"}
    assert db.session.scalars(select(Product)).all() == []
