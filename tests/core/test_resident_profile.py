"""The resident's profile: district (never defaulted), household or organisation, building height; audited edits."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.accounts.models import OrganisationKind, ResidentKind, User
from core.audit import AuditEntry
from core.db import db
from core.permissions import Role
from tests.conftest import district, login, make_user

FORM = {"resident_kind": "household", "display_name": "王先生", "email": "wang@example.test",
        "password": "a-long-password", "confirm": "a-long-password"}


def registered():
    return db.session.scalar(select(User).where(User.email == "wang@example.test"))


def test_register_page_asks_for_a_district_without_choosing_one(client):
    page = client.get("/register").get_data(as_text=True)
    assert '<option selected value="">请选择</option>' in page or '<option value="" selected>请选择</option>' in page
    assert 'name="building_over_100m"' in page and "是，楼栋高于 100 米" in page


@pytest.mark.parametrize("value", [None, "", "abc", "99999999"])
def test_registration_without_a_valid_district_is_refused(client, value):
    data = dict(FORM) | ({} if value is None else {"home_district": value})
    response = client.post("/register", data=data)
    assert response.status_code == 200 and registered() is None
    if value in (None, ""):
        assert "请选择所在区县。" in response.get_data(as_text=True)
    english = client.post("/register?lang=en", data=dict(FORM) | {"home_district": ""}).get_data(as_text=True)
    assert "Please choose your district." in english


def test_registration_keeps_district_and_building_height(client):
    response = client.post("/register", data=FORM | {"home_district": district("500105").id,
                                                     "building_over_100m": "yes"})
    assert response.status_code == 302
    user = registered()
    assert user.home_district_id == district("500105").id and user.building_over_100m is True


def test_building_height_may_be_left_unsaid_but_not_garbled(client):
    assert client.post("/register", data=FORM | {"home_district": district("500103").id,
                                                 "building_over_100m": "maybe"}).status_code == 200
    assert registered() is None
    assert client.post("/register", data=FORM | {"home_district": district("500103").id}).status_code == 302
    assert registered().building_over_100m is None


def test_account_shows_and_changes_the_profile_with_an_audit_entry(client):
    user = make_user(Role.resident, home_district_id=district("500103").id, building_over_100m=False)
    login(client, user)
    page = client.get("/account").get_data(as_text=True)
    assert "渝中区" in page and "否，楼栋不高于 100 米" in page and "居民用户（家庭）" in page
    response = client.post("/account/profile", data={"resident_kind": "organisation", "organisation_kind": "hotel",
                                                     "home_district": district("500105").id,
                                                     "building_over_100m": "yes"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.resident_kind, user.organisation_kind, user.home_district_id, user.building_over_100m) == (
        ResidentKind.organisation, OrganisationKind.hotel, district("500105").id, True)
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.profile_changed")).one()
    assert entry.before["home_district_id"] == district("500103").id
    assert entry.after["home_district_id"] == district("500105").id
    assert entry.before["building_over_100m"] is False and entry.after["building_over_100m"] is True
    page = client.get("/account").get_data(as_text=True)
    assert "江北区" in page and "酒店" in page


@pytest.mark.parametrize("data", [
    {"resident_kind": "household", "home_district": ""},
    {"resident_kind": "organisation", "organisation_kind": "", "home_district": "1"},
    {"resident_kind": "alien", "home_district": "1"},
    {"resident_kind": "household", "home_district": "1", "building_over_100m": "x"},
])
def test_bad_profile_edits_change_nothing(client, data):
    user = make_user(Role.resident, home_district_id=district("500103").id)
    login(client, user)
    if data.get("home_district") == "1":
        data = data | {"home_district": district("500105").id}
    response = client.post("/account/profile", data=data)
    assert response.status_code == 200
    db.session.refresh(user)
    assert user.home_district_id == district("500103").id and user.resident_kind == ResidentKind.household
    assert db.session.scalar(select(AuditEntry.id).where(AuditEntry.action == "user.profile_changed")) is None


def test_only_residents_have_a_profile(client):
    official = make_user(Role.district_official, districts=("500103",))
    login(client, official)
    assert 'action="/account/profile"' not in client.get("/account").get_data(as_text=True)
    assert client.post("/account/profile", data={"resident_kind": "household"}).status_code == 403
    client.get("/logout")
    anonymous = client.__class__(client.application)
    assert anonymous.post("/account/profile", data={}).status_code == 302


def test_account_profile_in_english(client):
    login(client, make_user(Role.resident, home_district_id=district("500103").id))
    page = client.get("/account?lang=en").get_data(as_text=True)
    assert "Household details" in page and "Is your building taller than 100 m?" in page
