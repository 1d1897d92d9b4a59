"""District reference data that households depend on cannot be pulled from under them."""

from sqlalchemy import select

from core.permissions import Role
from registry.districts.household_claims import ClaimStatus, HouseholdCategoryClaim
from registry.districts.models import OldCommunity
from tests.conftest import district, make_user


def test_old_community_claimed_by_a_household_cannot_be_deleted(client, as_user, db):
    as_user(Role.district_official, districts=("500103",))
    community = OldCommunity(district_id=district("500103").id, name="较场口小区", address="较场口 1 号")
    db.session.add(community)
    db.session.flush()
    resident = make_user(Role.resident)
    db.session.add(HouseholdCategoryClaim(user_id=resident.id, district_id=district("500103").id,
                                          category="old_community", old_community_id=community.id,
                                          full_name="王芳", address="较场口 1 号 3-1", status=ClaimStatus.pending))
    db.session.commit()
    response = client.post(f"/official/districts/500103/communities/{community.id}/delete", follow_redirects=True)
    assert response.status_code == 200
    assert "已有住户申报该老旧小区，不能删除" in response.get_data(as_text=True)
    assert db.session.scalar(select(OldCommunity).where(OldCommunity.id == community.id)) is not None


def test_unclaimed_old_community_is_deleted(client, as_user, db):
    as_user(Role.district_official, districts=("500103",))
    community = OldCommunity(district_id=district("500103").id, name="七星岗小区", address="七星岗 2 号")
    db.session.add(community)
    db.session.commit()
    community_id = community.id
    client.post(f"/official/districts/500103/communities/{community_id}/delete")
    assert db.session.scalar(select(OldCommunity).where(OldCommunity.id == community_id)) is None
