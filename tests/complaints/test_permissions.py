"""Who may open what: every page of the complaints package against anonymous visitors and each role,
owner against non-owner (a decision for every new URL; a new rule without one fails here)."""

from __future__ import annotations

import pytest

from core.permissions import Role
from tests.complaints.case_helpers import complaint, investigating, png, regulator
from tests.conftest import login, make_user
from tests.orders.fulfil_helpers import make_world

OK, LOGIN, DENIED = "ok", "login", "denied"
ROLES = ["anonymous", "resident", "complainant", "supplier", "invited_supplier", "official", "inspector", "admin",
         "regulator"]
#: GET pages: url → who gets it (everyone else: LOGIN when anonymous and the page needs an account, else DENIED).
PAGES = {
    "/report": set(ROLES),
    "/report/track": set(ROLES),
    "/cases/typical": set(ROLES),
    "/complaints/new": {"resident", "complainant"},
    "/my/cases": {"resident", "complainant"},
    "/my/cases/{n}": {"complainant"},
    "/cases/{n}/files/{f}": {"complainant", "regulator"},
    "/supplier/cases": {"supplier", "invited_supplier"},
    "/supplier/cases/{n}": {"invited_supplier"},
    "/regulator/cases": {"regulator"},
    "/regulator/cases.csv": {"regulator"},
    "/regulator/cases/{n}": {"regulator"},
    "/regulator/price-flags": {"regulator"},
    "/regulator/suppliers/{s}/sanctions": {"regulator"},
    "/admin/calendar": {"admin"},
    "/report/track/{n}": set(),  # only with the tracking code, in the browser session that entered it
}
PUBLIC = {"/report", "/report/track", "/cases/typical", "/cases/{n}/files/{f}", "/report/track/{n}"}


@pytest.fixture
def setting(calendar):
    world = make_world()
    officer = regulator()
    case = investigating(complaint(world, files=[png()]), officer)
    users = {
        "resident": make_user(Role.resident), "complainant": world.resident, "supplier": world.other_staff,
        "invited_supplier": world.staff, "official": world.official, "inspector": world.inspector,
        "admin": make_user(Role.admin), "regulator": officer,
    }
    return {"case": case, "users": users, "values": {"n": case.number, "f": case.files[0].id,
                                                    "s": world.supplier.id}}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_decided(app, setting, role):
    client = app.test_client()
    if role != "anonymous":
        login(client, setting["users"][role])
    for template, allowed in PAGES.items():
        url = template.format(**setting["values"])
        with client.get(url) as response:
            status = response.status_code
        if role in allowed:
            assert status == 200, (role, url, status)
        elif role == "anonymous" and template not in PUBLIC:
            assert status in (302, 401), (role, url, status)
        else:
            assert status in (403, 404), (role, url, status)


def test_every_complaints_rule_has_a_decision(app):
    rules = {r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("complaints.")}
    decided = {t.replace("{n}", "<number>").replace("{f}", "<int:file_id>").replace("{s}", "<int:supplier_id>")
               for t in PAGES}
    posts = {r for r in rules if r not in decided}
    # The remaining rules are POST actions of the pages above (their own tests check their permissions).
    assert all(any(r.startswith(p.rstrip("/")) for p in decided if p != "/report") or r.startswith("/report/track/")
               for r in posts), sorted(posts)
