"""Certificate status changes and the daily re-check invalidate products, notify and signal."""

from datetime import date, timedelta

import pytest

from catalog import services
from catalog.models import CertificateKind, CertificateStatus, ProductStatus
from catalog.signals import product_invalidated
from core.audit import AuditEntry
from core.errors import DomainError
from core.notifications import Notification
from core.permissions import Role
from tests.catalog.factories import AS_OF, make_company, make_product
from tests.conftest import make_user
from tests.suppliers.factories import make_staff


@pytest.fixture
def listed():
    supplier = make_company(districts=("500103", "500105"))
    staff = make_staff(supplier)
    product = make_product(supplier, staff)
    official = make_user(Role.district_official, districts=("500103",))
    other_official = make_user(Role.district_official, districts=("500106",))
    return supplier, staff, product, official, other_official


def _notified(user):
    return Notification.query.filter_by(user_id=user.id).all()


def test_regulator_suspending_a_certificate_invalidates_the_product(listed, db):
    supplier, staff, product, official, other_official = listed
    regulator = make_user(Role.regulator)
    cert = next(c for c in product.certificates if c.kind == CertificateKind.fire_product)
    reasons = []
    with product_invalidated.connected_to(lambda sender, **kw: reasons.append((sender, kw["reason"]))):
        services.set_certificate_status(cert, CertificateStatus.suspended, actor=regulator,
                                        reason="国家认监委公告暂停", as_of=AS_OF)
    db.session.commit()
    assert cert.status == CertificateStatus.suspended and cert.status_reason == "国家认监委公告暂停"
    assert product.status == ProductStatus.invalid
    assert "alarm.certificates" in [v["rule"] for v in product.verdict["violations"]]
    assert reasons and reasons[0][0] is product
    # officials are told by registry, only where a current list carries the product (none here)
    assert _notified(staff) and not _notified(official) and not _notified(other_official)
    entry = AuditEntry.query.filter_by(action="certificate.status_changed").one()
    assert entry.actor_id == regulator.id and entry.reason == "国家认监委公告暂停"
    assert AuditEntry.query.filter_by(action="product.invalidated").count() == 1


def test_status_change_needs_a_reason(listed):
    product = listed[2]
    with pytest.raises(DomainError):
        services.set_certificate_status(product.certificates[0], CertificateStatus.revoked,
                                        actor=make_user(Role.regulator), reason="  ")


def test_recheck_expires_certificates_and_invalidates(app, listed, db):
    supplier, staff, product, official, _other = listed
    cert = product.certificates[0]
    cert.valid_until = AS_OF + timedelta(days=5)
    db.session.commit()
    reasons = []
    with product_invalidated.connected_to(lambda sender, **kw: reasons.append(kw["reason"])):
        result = app.test_cli_runner().invoke(args=["catalog", "recheck", "--as-of",
                                                    (AS_OF + timedelta(days=6)).isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 certificates expired" in result.output and "1 products invalidated" in result.output
    db.session.expire_all()
    assert cert.status == CertificateStatus.expired
    assert product.status == ProductStatus.invalid
    assert reasons and _notified(staff) and not _notified(official)
    system = AuditEntry.query.filter_by(action="product.invalidated").one()
    assert system.actor_id is None and system.actor_label == "system"


def test_recheck_leaves_valid_products_alone(app, listed, db):
    product = listed[2]
    result = app.test_cli_runner().invoke(args=["catalog", "recheck", "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0
    assert "0 products invalidated" in result.output
    db.session.expire_all()
    assert product.status == ProductStatus.valid


def test_recheck_certificate_valid_on_its_last_day(app, listed, db):
    product = listed[2]
    for cert in product.certificates:
        cert.valid_until = date(2027, 1, 31)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["catalog", "recheck", "--as-of", "2027-01-31"])
    assert result.exit_code == 0
    db.session.expire_all()
    assert product.status == ProductStatus.valid


def test_recheck_refuses_a_bad_date(app):
    result = app.test_cli_runner().invoke(args=["catalog", "recheck", "--as-of", "2026-13-01"])
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output


def test_validator_reason_of_an_invalidation_is_stored_as_message_ids(app, listed, db):
    import re

    from flask_babel import refresh

    from core.i18n import render_stored
    product = listed[2]
    assert services.revalidate(product, actor=None, as_of=date(2030, 1, 1)) is False
    db.session.commit()
    reason = AuditEntry.query.filter_by(action="product.invalidated").one().reason
    with app.test_request_context("/?lang=en"):
        refresh()
        english = render_stored(reason)
        assert "2030-01-01" in english and not re.search(r"[\u4e00-\u9fff]", english), english
    with app.test_request_context("/?lang=zh_CN"):
        refresh()
        assert "报警装置须持有在 2030-01-01 有效的" in render_stored(reason)
