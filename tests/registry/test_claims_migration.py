"""Migration b11c1a1m0001 keeps existing claims: names filled in, decisions kept, and a clean downgrade."""

from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import select, text

from core.db import db
from registry.districts.household_claims import HouseholdCategoryClaim
from tests.test_migrations import empty_database_url  # noqa: F401 - the fixture
from wsgi import create_app

BEFORE = "9c4e2b7a51d3"
AT = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_existing_claims_survive_the_upgrade_and_the_downgrade(empty_database_url, tmp_path):  # noqa: F811
    migrated = create_app({"SQLALCHEMY_DATABASE_URI": empty_database_url, "ENV_NAME": "testing",
                           "STRIPE_STUB_EMBEDDED": False, "AUDIT_ANCHOR_PATH": str(tmp_path / "anchor")})
    with migrated.app_context():
        try:
            upgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO district (id, code, name, name_en, kind) "
                                  "VALUES (1, '500103', '渝中区', 'Yuzhong', 'district')"))
                conn.execute(text(
                    'INSERT INTO "user" (id, email, password_hash, display_name, active, session_token, '
                    "created_at, updated_at) VALUES (1, 'a@example.test', 'x', '张女士', true, 't', :at, :at), "
                    "(2, 'o@example.test', 'x', '李主任', true, 't2', :at, :at)"), {"at": AT})
                conn.execute(text(
                    "INSERT INTO household_category_claim (id, user_id, district_id, category, status, "
                    "verified_by_id, verified_at, created_at, updated_at) VALUES "
                    "(1, 1, 1, 'other', 'verified', 2, :at, :at, :at), "
                    "(2, 1, 1, 'low_income', 'rejected', NULL, NULL, :at, :at), "
                    "(3, 1, 1, 'registered_poor', 'pending', NULL, NULL, :at, :at)"), {"at": AT})
            upgrade()
            claims = {c.id: c for c in db.session.scalars(select(HouseholdCategoryClaim))}
            assert {c.full_name for c in claims.values()} == {"张女士"} and claims[1].address == ""
            assert (claims[1].decided_by_id, claims[1].status) == (2, "verified") and claims[1].decided_at
            assert claims[2].decided_at is not None and claims[2].decision_reason
            assert claims[2].certificate_number == "" and claims[1].certificate_number is None
            assert claims[3].decided_at is None
            db.session.remove()
            downgrade(revision=BEFORE)
            with db.engine.begin() as conn:
                rows = conn.execute(text("SELECT id, verified_by_id, verified_at FROM household_category_claim "
                                         "ORDER BY id")).all()
                assert [(r.id, r.verified_by_id, r.verified_at is not None) for r in rows] == [
                    (1, 2, True), (2, None, False), (3, None, False)]
        finally:
            db.session.remove()
            db.engine.dispose()
