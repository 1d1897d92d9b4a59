"""The company's own rules: who is barred, who may sell, who sees its documents, who is its staff."""

import pytest
from flask_login import AnonymousUserMixin

from catalog.models import ProductStatus
from core.accounts.queries import officials_of
from core.errors import DomainError
from core.permissions import Role
from suppliers import services
from suppliers.models import StaffRole, SupplierStaff, SupplierStatus
from suppliers.queries import staff_supplier_id, supplier_of
from tests.catalog.factories import make_company, make_product
from tests.conftest import district, make_user
from tests.suppliers.factories import make_staff


@pytest.mark.parametrize(("status", "barred"), [(SupplierStatus.registered, False), (SupplierStatus.verified, False),
                                                (SupplierStatus.suspended, True), (SupplierStatus.blacklisted, True)])
def test_suspended_and_blacklisted_companies_are_barred_and_may_not_sell(db, status, barred):
    company = make_company(status=status)
    assert company.is_barred() is barred
    assert company.can_sell() is not barred


def test_a_barred_company_can_no_longer_edit_or_submit_its_products(db):
    company = make_company()
    staff = make_staff(company)
    product = make_product(company, staff)
    assert product.status == ProductStatus.valid
    assert product.can_edit(staff) and product.can_submit(staff)
    company.status = SupplierStatus.suspended
    db.session.commit()
    assert not product.can_edit(staff) and not product.can_submit(staff)
    assert product.can_withdraw(staff)  # withdrawing stays possible


def test_documents_are_seen_by_staff_overseers_and_officials_of_served_districts_only(db):
    company = make_company(districts=("500103",))
    other = make_company(districts=("500105",))
    allowed = [make_staff(company), make_user(Role.regulator), make_user(Role.admin),
               make_user(Role.district_official, districts=("500103",))]
    refused = [make_staff(other), make_user(Role.district_official, districts=("500105",)),
               make_user(Role.resident), make_user(Role.inspector, districts=("500103",)), AnonymousUserMixin()]
    assert all(company.can_view_documents(u) for u in allowed)
    assert not any(company.can_view_documents(u) for u in refused)


def test_staff_membership_needs_the_supplier_role_and_the_company(db):
    company, other = make_company(), make_company()
    staff = make_staff(company)
    assert company.has_staff(staff) and not other.has_staff(staff)
    assert supplier_of(staff) == company and staff_supplier_id(staff) == company.id
    staff.grants = []
    db.session.commit()
    assert not company.has_staff(staff)  # a membership without the supplier role grants nothing
    assert supplier_of(make_user(Role.resident)) is None and staff_supplier_id(AnonymousUserMixin()) is None


def test_an_account_belongs_to_one_company_at_most(db):
    company, other = make_company(), make_company()
    staff = make_staff(company)
    with pytest.raises(DomainError, match="已属于"):
        services.add_membership(other, staff)
    assert db.session.get(SupplierStaff, staff.id).supplier_id == company.id


def test_the_registering_account_owns_the_company_and_colleagues_are_staff(db):
    supplier, owner = services.register_supplier(
        legal_name="重庆安燃科技有限公司", credit_code="91330100716105852F", email="owner@example.test",
        phone=None, display_name="刘经理", password="a-long-password")
    colleague = services.add_staff(supplier, actor=owner, display_name="同事", email="c@example.test", phone=None,
                                   password="another-long-password")
    db.session.commit()
    roles = {m.user_id: m.role for m in supplier.memberships}
    assert roles == {owner.id: StaffRole.owner, colleague.id: StaffRole.staff}
    assert supplier.staff == [owner, colleague]


def test_officials_of_lists_active_officials_of_the_districts_once(db):
    both = make_user(Role.district_official, districts=("500103", "500105"))
    one = make_user(Role.district_official, districts=("500105",))
    make_user(Role.district_official, districts=("500106",))
    gone = make_user(Role.district_official, districts=("500103",))
    gone.active = False
    db.session.commit()
    assert officials_of([district("500103").id, district("500105").id]) == [both, one]
    assert officials_of([]) == []
