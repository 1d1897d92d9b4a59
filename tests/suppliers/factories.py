"""Factories of the company register: staff accounts of a company."""

from core.db import db
from core.permissions import Role
from suppliers.models import StaffRole, Supplier, SupplierStaff
from tests.conftest import make_user


def make_staff(supplier: Supplier, *, role: StaffRole = StaffRole.staff, **fields):
    """A committed supplier account that belongs to `supplier`."""
    user = make_user(Role.supplier, **fields)
    db.session.add(SupplierStaff(user_id=user.id, supplier_id=supplier.id, role=role))
    db.session.commit()
    db.session.expire(supplier, ["memberships"])
    return user
