"""District.can_manage / can_oversee: the one home of the registry's district permission."""

import pytest
from flask_login import AnonymousUserMixin

from core.permissions import Role
from tests.conftest import district, make_user


def test_official_manages_and_oversees_only_their_own_district():
    official = make_user(Role.district_official, districts=("500103",))
    assert district("500103").can_manage(official) and district("500103").can_oversee(official)
    assert not district("500105").can_manage(official) and not district("500105").can_oversee(official)


def test_regulator_oversees_every_district_but_manages_none():
    regulator = make_user(Role.regulator)
    for code in ("500103", "500105"):
        assert district(code).can_oversee(regulator) and not district(code).can_manage(regulator)


@pytest.mark.parametrize("role", [Role.admin, Role.resident, Role.supplier, Role.inspector])
def test_other_roles_neither_manage_nor_oversee(role):
    user = make_user(role, districts=("500103",) if role == Role.inspector else ())
    assert not district("500103").can_manage(user) and not district("500103").can_oversee(user)


def test_anonymous_neither_manages_nor_oversees():
    anonymous = AnonymousUserMixin()
    assert not district("500103").can_manage(anonymous) and not district("500103").can_oversee(anonymous)
