from datetime import date, timedelta

import pytest

from catalog.models import CertificateStatus, ProductStatus, Tier
from core.db import db
from core.errors import InvalidTransition
from registry.lists import queries
from registry.lists import services as list_services
from registry.lists.models import Announcement, AnnouncementKind, ListEntryProduct, ListVersion
from registry.lists.snapshots import diff
from suppliers.models import SupplierStatus
from tests.conftest import district
from tests.registry.factories import make_full_supplier, make_official, make_product, make_supplier
from tests.registry.helpers import admit, open_call, published_list


def _rules(exc):
    return {p.rule for p in exc.value.problems}


def _setup(n=3):
    official = make_official()
    call = open_call(official)
    pairs = [make_full_supplier() for _i in range(n)]
    for supplier, products in pairs:
        admit(call, official, supplier, products)
    return official, pairs


def test_publish_refuses_list_with_two_suppliers():
    official, _pairs = _setup(2)
    with pytest.raises(list_services.PublicationRefused) as exc:
        list_services.publish_list(district("500103"), actor=official)
    assert _rules(exc) == {"list.min_suppliers"}
    assert queries.current_version(district("500103")) is None


def test_publish_refuses_supplier_missing_a_tier():
    official, pairs = _setup(3)
    pairs[0][1][2].status = ProductStatus.invalid  # high tier no longer valid
    db.session.commit()
    with pytest.raises(list_services.PublicationRefused) as exc:
        list_services.publish_list(district("500103"), actor=official)
    assert "list.tiers" in _rules(exc)
    tier_problem = next(p for p in exc.value.problems if p.rule == "list.tiers")
    assert tier_problem.supplier_id == pairs[0][0].id and pairs[0][0].legal_name in tier_problem.message


def test_publish_refuses_incomplete_public_fields():
    official, pairs = _setup(3)
    pairs[1][0].service_content = ""
    pairs[1][0].qualification_level = None
    db.session.commit()
    with pytest.raises(list_services.PublicationRefused) as exc:
        list_services.publish_list(district("500103"), actor=official)
    assert _rules(exc) == {"list.public_fields"}
    assert exc.value.problems[0].supplier_id == pairs[1][0].id


def test_publish_refuses_suspended_supplier():
    official, pairs = _setup(3)
    pairs[2][0].status = SupplierStatus.suspended
    db.session.commit()
    with pytest.raises(list_services.PublicationRefused) as exc:
        list_services.publish_list(district("500103"), actor=official)
    assert _rules(exc) == {"list.supplier_status"}


def test_publish_refuses_expired_certificate():
    official, pairs = _setup(3)
    pairs[0][1][0].certificates[0].valid_until = date.today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(list_services.PublicationRefused) as exc:
        list_services.publish_list(district("500103"), actor=official)
    assert "list.certificate_expired" in _rules(exc)
    problem = next(p for p in exc.value.problems if p.rule == "list.certificate_expired")
    assert problem.product_id == pairs[0][1][0].id


def test_publish_refuses_invalid_product():
    official, pairs = _setup(3)
    extra = make_product(pairs[0][0], Tier.mid)
    entry = queries.working_entries(district("500103"))[0]
    entry.products.append(ListEntryProduct(product_id=extra.id, price_fen=100, install_fee_fen=0))
    extra.status = ProductStatus.invalid
    db.session.commit()
    with pytest.raises(list_services.PublicationRefused) as exc:
        list_services.publish_list(district("500103"), actor=official)
    assert _rules(exc) == {"list.product_invalid"}


def test_check_reports_every_problem_at_once():
    official, pairs = _setup(2)
    pairs[0][0].status = SupplierStatus.blacklisted
    pairs[1][0].phone = ""
    pairs[1][1][1].certificates[0].status = CertificateStatus.revoked
    db.session.commit()
    problems = list_services.check_working_list(district("500103"))
    assert {p.rule for p in problems} == {"list.min_suppliers", "list.supplier_status", "list.public_fields",
                                          "list.certificate_expired", "list.tiers"}


def test_exception_reason_allows_two_suppliers_and_is_announced(client):
    _official, _suppliers, version = published_list(n=2)
    assert version.number == 1 and version.exception_reason == "本区县仅两家单位具备资质"
    note = db.session.scalar(db.select(Announcement).where(Announcement.kind == AnnouncementKind.list_published))
    assert "本区县仅两家单位具备资质" in note.body_text
    page = client.get("/districts/500103").get_data(as_text=True)
    assert "本区县仅两家单位具备资质" in page


def test_publish_creates_version_and_announcement():
    official, pairs = _setup(3)
    version = list_services.publish_list(district("500103"), actor=official)
    db.session.commit()
    assert version.number == 1 and len(version.suppliers) == 3
    assert {p["tier"] for p in version.suppliers[0]["products"]} == {"low", "mid", "high"}
    assert queries.listed_product_districts([pairs[0][1][0].id]) == {pairs[0][1][0].id: ["500103"]}


def test_versions_are_immutable_after_later_changes():
    official, suppliers, version = published_list()
    product = suppliers[0][1][0]
    old_price = version.suppliers[0]["products"][0]["price_fen"]
    product.price_fen = old_price + 10000
    product.model = "CHANGED"
    db.session.commit()
    db.session.expire_all()
    again = db.session.get(ListVersion, version.id)
    assert again.suppliers[0]["products"][0]["price_fen"] == old_price
    assert again.suppliers[0]["products"][0]["model"] != "CHANGED"
    again.exception_reason = "tamper"
    with pytest.raises(Exception, match="不可修改"):
        db.session.flush()
    db.session.rollback()


def test_second_version_diff_shows_added_supplier_and_price_change():
    official, suppliers, v1 = published_list()
    call = open_call(official)
    newcomer, products = make_full_supplier()
    admit(call, official, newcomer, products)
    # the first supplier re-applies with a lower price for its low-tier product
    first, first_products = suppliers[0]
    first_products[0].price_fen = 15900
    db.session.commit()
    admit(call, official, first, first_products)
    v2 = list_services.publish_list(district("500103"), actor=official)
    db.session.commit()
    changes = diff(v1.snapshot, v2.snapshot)
    assert [s["id"] for s in changes["added"]["suppliers"]] == [newcomer.id]
    assert {p["id"] for p in changes["added"]["products"]} == {p.id for p in products}
    assert changes["removed"] == {"suppliers": [], "products": []}
    assert changes["price_changes"][0]["id"] == first_products[0].id
    assert changes["price_changes"][0]["price_fen"] == [19900, 15900]
    kinds = {a.kind for a in db.session.scalars(db.select(Announcement))}
    assert AnnouncementKind.supplier_added in kinds


def test_remove_supplier_makes_new_version_and_announcement():
    official, suppliers, v1 = published_list(n=4)
    target = suppliers[0][0]
    v2 = list_services.remove_supplier(district("500103"), target, actor=official, reason="借用资质",
                                       case_number="TS-2026-001")
    db.session.commit()
    assert v2.number == 2 and target.id not in {s["id"] for s in v2.suppliers}
    note = db.session.scalar(db.select(Announcement).where(Announcement.kind == AnnouncementKind.supplier_removed))
    assert note.case_number == "TS-2026-001" and "借用资质" in note.body_text
    assert not v2.problems


def test_remove_below_three_announces_below_minimum():
    official, suppliers, _v1 = published_list(n=3)
    v2 = list_services.remove_supplier(district("500103"), suppliers[0][0], actor=official, reason="制假售假")
    db.session.commit()
    assert [p["rule"] for p in v2.problems] == ["list.min_suppliers"]
    kinds = [a.kind for a in db.session.scalars(db.select(Announcement))]
    assert AnnouncementKind.list_below_minimum in kinds


def test_supplier_not_on_list_cannot_be_removed():
    official, _suppliers, _v = published_list()
    other = make_supplier()
    with pytest.raises(InvalidTransition):
        list_services.remove_supplier(district("500103"), other, actor=official, reason="x")
