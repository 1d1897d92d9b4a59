"""Household category claims (SPEC 3.3): declaring, verifying, rejecting, who may see and decide, masking."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.accounts.models import OrganisationKind, ResidentKind, User
from core.audit import AuditEntry
from core.db import db
from core.notifications import Notification
from core.permissions import Role
from registry.districts.household_claims import ClaimStatus, HouseholdCategoryClaim
from registry.districts.household_queries import claim_in_force
from registry.districts.models import OldCommunity
from tests.conftest import district, login, make_user

NAME, ADDRESS = "张秀英", "渝中区解放碑街道民族路 88 号 3 单元 502"


def community(code="500103", name="较场口小区"):
    row = OldCommunity(district_id=district(code).id, name=name, address=f"{name} 1 号")
    db.session.add(row)
    db.session.commit()
    return row


def household(code="500103", **fields):
    return make_user(Role.resident, home_district_id=district(code).id if code else None, **fields)


def declare(client, **data):
    values = {"full_name": NAME, "address": ADDRESS} | data
    return client.post("/household/category", data=values)


def claims_of(user):
    return db.session.scalars(select(HouseholdCategoryClaim).where(HouseholdCategoryClaim.user_id == user.id)
                              .order_by(HouseholdCategoryClaim.id)).all()


def pending_claim(category="low_income", code="500103", **fields):
    user = household(code)
    values = {"certificate_number": "DB-1"} if category in ("low_income", "registered_poor") else {}
    claim = HouseholdCategoryClaim(user_id=user.id, district_id=district(code).id, category=category,
                                   full_name=NAME, address=ADDRESS, **(values | fields))
    db.session.add(claim)
    db.session.commit()
    return claim


# --- the resident declares ---------------------------------------------------------------------------------

def test_old_community_household_declares_from_its_districts_list(client):
    row = community()
    user = household()
    login(client, user)
    page = client.get("/household/category").get_data(as_text=True)
    assert "较场口小区" in page and 'name="certificate_number"' in page
    response = declare(client, category="old_community", community=row.id)
    assert response.status_code == 302
    [claim] = claims_of(user)
    assert (claim.category, claim.old_community_id, claim.status, claim.district_id) == (
        "old_community", row.id, "pending", district("500103").id)
    assert claim.full_name == NAME and claim.certificate_number is None
    assert claim_in_force(user) is None  # not before verification


@pytest.mark.parametrize("category", ["registered_poor", "low_income"])
def test_certificate_categories_need_a_certificate_number(client, category):
    user = household()
    login(client, user)
    response = declare(client, category=category)
    assert response.status_code == 200 and "请填写证件编号" in response.get_data(as_text=True)
    assert claims_of(user) == []
    assert declare(client, category=category, certificate_number="DB500103-1").status_code == 302
    assert claims_of(user)[0].certificate_number == "DB500103-1"


def test_other_needs_no_verification_and_keeps_no_certificate(client):
    user = household()
    login(client, user)
    assert declare(client, category="other", certificate_number="ignored").status_code == 302
    [claim] = claims_of(user)
    assert claim.certificate_number is None and claim_in_force(user).id == claim.id
    assert "无需核验" in client.get("/household/category").get_data(as_text=True)


def test_community_of_another_district_is_refused(client):
    elsewhere = community("500105", "观音桥小区")
    user = household()
    login(client, user)
    response = declare(client, category="old_community", community=elsewhere.id)
    assert response.status_code == 200 and claims_of(user) == []
    assert "观音桥小区" not in client.get("/household/category").get_data(as_text=True)


def test_old_community_without_a_community_and_bad_input_are_refused(client):
    community()
    user = household()
    login(client, user)
    for data in ({"category": "old_community"}, {"category": "nonsense"}, {"category": "old_community",
                                                                            "community": "abc"},
                 {"category": "other", "full_name": ""}, {"category": "other", "address": "a" * 201}):
        response = declare(client, **data)
        assert response.status_code == 200, data
    assert claims_of(user) == []


def test_a_new_declaration_replaces_a_pending_one(client):
    user = household()
    login(client, user)
    declare(client, category="low_income", certificate_number="DB-1")
    declare(client, category="registered_poor", certificate_number="JD-2")
    [claim] = claims_of(user)
    assert (claim.category, claim.certificate_number) == ("registered_poor", "JD-2")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "household_claim.replaced")).one()
    assert entry.before["category"] == "low_income" and entry.after["category"] == "registered_poor"
    assert "JD-2" not in str(entry.after) and NAME not in str(entry.after)  # no personal data in the log


def test_verified_claim_stays_in_force_until_a_new_one_is_decided(client):
    official = make_user(Role.district_official, districts=("500103",))
    first = pending_claim("low_income")
    user = first.user
    login(client, official)
    client.post(f"/official/claims/{first.id}/verify", data={})
    assert claim_in_force(user).id == first.id
    login(client, user)
    declare(client, category="registered_poor", certificate_number="JD-9")
    second = claims_of(user)[-1]
    assert second.id != first.id and claim_in_force(user).id == first.id
    page = client.get("/household/category").get_data(as_text=True)
    assert "原来已核验的类别继续有效" in page
    login(client, official)
    client.post(f"/official/claims/{second.id}/reject", data={"reason": "名单上查无此户"})
    assert claim_in_force(user) is None  # a rejection of the newer claim ends the older one too


def test_organisation_cannot_declare(client):
    org = make_user(Role.resident, resident_kind=ResidentKind.organisation,
                    organisation_kind=OrganisationKind.restaurant, home_district_id=district("500103").id)
    login(client, org)
    page = client.get("/household/category").get_data(as_text=True)
    assert "单位用户不适用住户类别" in page and 'name="category"' not in page
    declare(client, category="other")
    assert claims_of(org) == []


def test_household_without_a_district_is_sent_to_its_account(client):
    user = household(code=None)
    login(client, user)
    page = client.get("/household/category").get_data(as_text=True)
    assert "/account" in page and "请先在“我的账号”中填写所在区县" in page and 'name="category"' not in page
    declare(client, category="other")
    assert claims_of(user) == []


@pytest.mark.parametrize("role", [None, Role.supplier, Role.district_official, Role.regulator])
def test_only_residents_reach_the_category_page(client, role):
    if role is not None:
        login(client, make_user(role, districts=("500103",) if role == Role.district_official else ()))
    response = client.get("/household/category")
    assert response.status_code == (302 if role is None else 403)


# --- officials decide --------------------------------------------------------------------------------------

def test_official_verifies_and_the_resident_is_told(client):
    claim = pending_claim("low_income")
    official = make_user(Role.district_official, districts=("500103",))
    login(client, official)
    assert client.post(f"/official/claims/{claim.id}/verify", data={}).status_code == 302
    db.session.refresh(claim)
    assert claim.status == "verified" and claim.decided_by_id == official.id and claim.decided_at is not None
    note = db.session.scalars(select(Notification).where(Notification.user_id == claim.user_id)).one()
    assert "核验通过" in note.subject_text and "城镇低保户" in note.body_text and note.link == "/household/category"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "household_claim.verified")).one()
    assert entry.before["status"] == "pending" and entry.after["status"] == "verified"
    assert entry.actor_id == official.id
    # twice: nothing changes, a clear message
    response = client.post(f"/official/claims/{claim.id}/verify", data={}, follow_redirects=True)
    assert "已处理过" in response.get_data(as_text=True)


def test_rejection_needs_a_reason_which_the_resident_sees(client):
    claim = pending_claim("registered_poor")
    login(client, make_user(Role.district_official, districts=("500103",)))
    response = client.post(f"/official/claims/{claim.id}/reject", data={})
    assert response.status_code == 200 and "请填写不通过的理由" in response.get_data(as_text=True)
    assert "不能只包含空格" in client.post(f"/official/claims/{claim.id}/reject",
                                     data={"reason": "   "}).get_data(as_text=True)
    db.session.refresh(claim)
    assert claim.status == "pending"
    client.post(f"/official/claims/{claim.id}/reject", data={"reason": "证件编号与名单不符"})
    db.session.refresh(claim)
    assert claim.status == "rejected" and claim.decision_reason == "证件编号与名单不符"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "household_claim.rejected")).one()
    assert entry.reason == "证件编号与名单不符" and entry.after["status"] == "rejected"
    note = db.session.scalars(select(Notification).where(Notification.user_id == claim.user_id)).one()
    assert "证件编号与名单不符" in note.body_text
    login(client, claim.user)
    page = client.get("/household/category").get_data(as_text=True)
    assert "证件编号与名单不符" in page and 'data-claim-status="rejected"' in page
    english = client.get("/notifications?lang=en").get_data(as_text=True)
    assert "was rejected" in english


def test_official_of_another_district_can_neither_see_nor_decide(client):
    claim = pending_claim("low_income")
    login(client, make_user(Role.district_official, districts=("500105",)))
    assert f'data-claim-id="{claim.id}"' not in client.get("/official/claims").get_data(as_text=True)
    assert client.get(f"/official/claims/{claim.id}").status_code == 404
    assert client.post(f"/official/claims/{claim.id}/verify", data={}).status_code == 404
    assert client.post(f"/official/claims/{claim.id}/reject", data={"reason": "x"}).status_code == 404
    db.session.refresh(claim)
    assert claim.status == "pending"


def test_regulator_reads_every_district_but_decides_nothing(client):
    claim = pending_claim("low_income", code="500105")
    login(client, make_user(Role.regulator))
    assert f'data-claim-id="{claim.id}"' in client.get("/official/claims").get_data(as_text=True)
    page = client.get(f"/official/claims/{claim.id}").get_data(as_text=True)
    assert NAME in page and 'action="/official/claims/' not in page
    assert client.post(f"/official/claims/{claim.id}/verify", data={}).status_code == 403
    assert client.post(f"/official/claims/{claim.id}/reject", data={"reason": "x"}).status_code == 403
    db.session.refresh(claim)
    assert claim.status == "pending"


@pytest.mark.parametrize("role", [None, Role.resident, Role.supplier, Role.inspector])
def test_others_cannot_reach_the_claims(client, role):
    claim = pending_claim("low_income")
    if role is not None:
        login(client, make_user(role, districts=("500103",) if role == Role.inspector else ()))
    expected = 302 if role is None else 403
    assert client.get("/official/claims").status_code == expected
    assert client.get(f"/official/claims/{claim.id}").status_code == expected
    assert client.post(f"/official/claims/{claim.id}/verify", data={}).status_code == expected
    db.session.refresh(claim)
    assert claim.status == "pending"


def test_queue_masks_personal_data_filters_and_shows_newest_pending_first(client):
    old = pending_claim("low_income")
    new = pending_claim("registered_poor")
    done = pending_claim("low_income", status=ClaimStatus.rejected, decision_reason="不符",
                         decided_at=old.created_at)
    pending_claim("low_income", code="500105")
    login(client, make_user(Role.district_official, districts=("500103",)))
    page = client.get("/official/claims").get_data(as_text=True)
    assert NAME not in page and ADDRESS not in page and "张**" in page and "渝中区解放碑****" in page
    assert page.index(f'data-claim-id="{new.id}"') < page.index(f'data-claim-id="{old.id}"')
    assert f'data-claim-id="{done.id}"' not in page and page.count("data-claim-id=") == 2
    rejected = client.get("/official/claims?status=rejected").get_data(as_text=True)
    assert f'data-claim-id="{done.id}"' in rejected and rejected.count("data-claim-id=") == 1
    poor = client.get("/official/claims?status=all&category=registered_poor").get_data(as_text=True)
    assert poor.count("data-claim-id=") == 1 and f'data-claim-id="{new.id}"' in poor
    for bad in ("?status=xyz", "?category=xyz", "?page=-3", "?page=abc", "?district=999999"):
        assert client.get("/official/claims" + bad).status_code == 200
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "personal_data.viewed")) is None


def test_queue_is_paginated(client):
    for _i in range(23):
        pending_claim("low_income")
    login(client, make_user(Role.district_official, districts=("500103",)))
    assert client.get("/official/claims").get_data(as_text=True).count("data-claim-id=") == 20
    assert client.get("/official/claims?page=2").get_data(as_text=True).count("data-claim-id=") == 3


def test_unmasked_detail_view_is_audited(client):
    claim = pending_claim("low_income", certificate_number="DB500103-77")
    official = make_user(Role.district_official, districts=("500103",))
    login(client, official)
    page = client.get(f"/official/claims/{claim.id}").get_data(as_text=True)
    assert NAME in page and ADDRESS in page and "DB500103-77" in page
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "personal_data.viewed")).one()
    assert entry.actor_id == official.id and entry.target_type == "HouseholdCategoryClaim"
    assert entry.target_id == str(claim.id) and entry.after["subject_user_id"] == claim.user_id
    assert entry.after["fields"] == ["address", "certificate_number", "full_name"]
    assert "DB500103-77" not in str(entry.after)


def test_claim_pages_in_english(client):
    claim = pending_claim("low_income")
    login(client, make_user(Role.district_official, districts=("500103",)))
    assert "Household category claims" in client.get("/official/claims?lang=en").get_data(as_text=True)
    assert "Reason for rejecting" in client.get(f"/official/claims/{claim.id}?lang=en").get_data(as_text=True)
    login(client, claim.user)
    assert "My household category" in client.get("/household/category?lang=en").get_data(as_text=True)


def test_database_refuses_inconsistent_claims(db):
    user = household()
    base = {"user_id": user.id, "district_id": district("500103").id, "full_name": NAME, "address": ADDRESS}
    for fields in ({"category": "low_income"},  # no certificate number
                   {"category": "other", "certificate_number": "X"},
                   {"category": "other", "status": "rejected", "decided_at": None},
                   {"category": "low_income", "certificate_number": "X", "status": "rejected",
                    "decision_reason": None}):
        if fields.get("status") == "rejected" and "decided_at" not in fields:
            from core.db import now_utc
            fields["decided_at"] = now_utc()
        db.session.add(HouseholdCategoryClaim(**base, **fields))
        with pytest.raises(Exception):  # noqa: B017 - IntegrityError, whatever the driver calls it
            db.session.flush()
        db.session.rollback()


def test_district_list_page_shows_the_viewers_subsidy_at_home_only(client, demo):
    resident = db.session.scalar(select(User).where(User.email == "resident@demo.local"))
    login(client, resident)
    home = client.get("/districts/500103").get_data(as_text=True)
    assert "data-subsidy=" in home and "补贴后约" in home
    assert "data-subsidy=" not in client.get("/districts/500105").get_data(as_text=True)
    login(client, db.session.scalar(select(User).where(User.email == "org@demo.local")))
    page = client.get("/districts/500103").get_data(as_text=True)
    assert "data-subsidy=" not in page and "补贴后" not in page
    client.get("/logout")


def test_demo_households_cover_every_category_and_state(demo):
    expected = {"resident@demo.local": ("old_community", "verified"), "resident2@demo.local": ("low_income", "pending"),
                "resident.poor@demo.local": ("registered_poor", "verified"),
                "resident.lowincome@demo.local": ("low_income", "verified"),
                "resident.rejected@demo.local": ("low_income", "rejected")}
    for email, (category, status) in expected.items():
        user = db.session.scalar(select(User).where(User.email == email))
        assert user.check_password("demo-pass-2026") and user.home_district_id and user.building_over_100m is not None
        [claim] = claims_of(user)
        assert (claim.category, claim.status) == (category, status), email
        if status == "rejected":
            assert claim.decision_reason
    org = db.session.scalar(select(User).where(User.email == "org@demo.local"))
    assert org.organisation_kind == OrganisationKind.restaurant
