"""Concurrent edits of one product: the later one is refused with the current values, never a silent overwrite."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import services
from catalog.models import Product, ProductStatus
from core.audit import AuditEntry
from core.db import db
from core.errors import EditConflict
from tests.catalog.factories import make_company, make_product, product_data
from tests.catalog.test_routes import FORM
from tests.conftest import login
from tests.suppliers.factories import make_staff


@pytest.fixture
def edited():
    supplier = make_company()
    staff = make_staff(supplier)
    return staff, make_product(supplier, staff, submit=False)


def _brand_elsewhere(product_id: int, brand: str) -> None:
    """Another worker's request: load, change and commit the product in its own session."""
    with Session(db.engine) as other:
        other.get(Product, product_id).brand = brand
        other.commit()


def _updates(product_id: int) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "product.updated",
                                                            AuditEntry.target_id == str(product_id))))


def test_second_editor_with_an_old_version_sees_the_current_values_and_saves_nothing(client, edited):
    staff, product = edited
    login(client, staff)
    page = client.get(f"/supplier/products/{product.id}/edit").get_data(as_text=True)
    seen = re.search(r'name="version_id" type="hidden" value="(\d+)"', page).group(1)
    form = {**FORM, "model": product.model, "version_id": seen}
    assert client.post(f"/supplier/products/{product.id}/edit", data={**form, "brand": "先到品牌"}).status_code == 302
    response = client.post(f"/supplier/products/{product.id}/edit", data={**form, "brand": "后到品牌"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "该产品已被他人修改，以下为当前内容" in html and 'value="先到品牌"' in html and "后到品牌" not in html
    db.session.expire_all()
    assert db.session.get(Product, product.id).brand == "先到品牌"
    assert [e.after.get("brand") for e in _updates(product.id)] == ["先到品牌"]


def test_edit_racing_a_committed_change_is_refused_not_overwritten(edited):
    staff, product = edited
    loaded_brand = product.brand  # this request has loaded the product ...
    _brand_elsewhere(product.id, "别人改的品牌")  # ... and another one commits a change meanwhile
    with pytest.raises(EditConflict):
        services.update_product(product, product_data(model=product.model, brand="我改的品牌"), actor=staff)
    db.session.rollback()
    assert loaded_brand != "别人改的品牌"
    assert db.session.get(Product, product.id).brand == "别人改的品牌" and _updates(product.id) == []


def test_audit_before_values_come_from_the_current_row(edited):
    staff, product = edited
    _brand_elsewhere(product.id, "别人改的品牌")  # the editor reloaded the page and saw version 2 ...
    seen = db.session.scalar(select(Product.version_id).where(Product.id == product.id))
    # ... while this session still holds the older row in its identity map
    services.update_product(product, product_data(model=product.model, brand="我改的品牌"), actor=staff,
                            seen_version=seen)
    db.session.commit()
    [entry] = _updates(product.id)
    assert entry.before["brand"] == "别人改的品牌" and entry.after["brand"] == "我改的品牌"
    assert product.version_id == seen + 1


def test_a_status_change_racing_an_edit_is_a_conflict_page_not_a_500(client, edited, monkeypatch):
    staff, product = edited
    real_withdraw = services.withdraw_product

    def withdraw_after_a_concurrent_edit(target, **kwargs):
        _brand_elsewhere(target.id, "别人改的品牌")
        real_withdraw(target, **kwargs)

    monkeypatch.setattr(services, "withdraw_product", withdraw_after_a_concurrent_edit)
    login(client, staff)
    response = client.post(f"/supplier/products/{product.id}/withdraw")
    assert response.status_code == 409 and "该记录已被他人修改" in response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(Product, product.id)
    assert stored.brand == "别人改的品牌" and stored.status == ProductStatus.draft
