"""A company registers with its first staff account (its owner)."""

from sqlalchemy import select

from core.accounts.models import User
from core.permissions import Role
from suppliers.models import Supplier
from suppliers.queries import supplier_of


def test_supplier_company_registers_with_first_staff_account(client, db):
    response = client.post("/suppliers/register", data={
        "legal_name": "重庆安燃科技有限公司", "credit_code": "91330100716105852F", "display_name": "刘经理",
        "email": "liu@example.test", "password": "a-long-password", "confirm": "a-long-password"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "liu@example.test"))
    supplier = supplier_of(user)
    assert user.has_role(Role.supplier) and supplier.has_staff(user)
    assert supplier.status == "registered"


def test_supplier_registration_rejects_bad_check_digit(client, db):
    page = client.post("/suppliers/register", data={
        "legal_name": "某公司", "credit_code": "91330100716105852E", "display_name": "刘经理",
        "email": "liu@example.test", "password": "a-long-password", "confirm": "a-long-password"}
    ).get_data(as_text=True)
    assert "校验位不正确" in page
    assert db.session.scalar(select(Supplier)) is None
