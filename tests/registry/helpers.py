"""Shared steps: put suppliers on a working list through an accepted application."""

from __future__ import annotations

from datetime import date, timedelta

from core.db import db
from registry.lists import services as list_services
from registry.solicitations import services as solicitation_services
from tests.conftest import district
from tests.registry.factories import make_full_supplier, make_official
from tests.suppliers.factories import make_staff

WEIGHTS = {"qualification": 30, "quality": 30, "after_sales": 20, "price": 20}
SCORES = {"qualification": 90, "quality": 80, "after_sales": 70, "price": 60}


def open_call(official, code: str = "500103"):
    call = solicitation_services.open_solicitation(
        district(code), actor=official, title="燃气安全装置销售安装单位公开征集", requirements="具备安装资质",
        device_types=["self_closing_valve", "leak_alarm"], deadline=date.today() + timedelta(days=30),
        weights=WEIGHTS)
    db.session.commit()
    return call


def admit(call, official, supplier, products):
    staff = make_staff(supplier)
    app = solicitation_services.apply(call, supplier, actor=staff,
                                      items=[(p.id, p.price_fen, p.install_fee_fen) for p in products])
    solicitation_services.review_application(app, actor=official, scores=SCORES, comment="良好",
                                             decision="accept", reason="资质齐全，价格合理")
    db.session.commit()
    return app


def published_list(code: str = "500103", n: int = 3, official=None):
    """A district with `n` full suppliers admitted and published; returns (official, suppliers, version)."""
    official = official or make_official(code)
    call = open_call(official, code)
    suppliers = []
    for _i in range(n):
        supplier, products = make_full_supplier(districts=(code,))
        admit(call, official, supplier, products)
        suppliers.append((supplier, products))
    version = list_services.publish_list(district(code), actor=official,
                                         exception_reason=None if n >= 3 else "本区县仅两家单位具备资质")
    db.session.commit()
    return official, suppliers, version
