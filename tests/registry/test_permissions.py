"""The registry's district permission in one home (District / Solicitation can_*), used by routes and templates;
route modules do not import one another."""

import ast
from pathlib import Path

from flask_login import AnonymousUserMixin

from core.db import db
from core.permissions import Role
from registry.districts.models import Township
from tests.conftest import login, make_user
from tests.registry.factories import make_official
from tests.registry.helpers import open_call

REGISTRY = Path(__file__).resolve().parents[2] / "registry"
CLOSE = "/close"


def test_solicitation_permission_follows_its_district():
    call = open_call(make_official("500103"), "500103")
    own, other, regulator = make_official("500103"), make_official("500105"), make_user(Role.regulator)
    assert call.can_manage(own) and call.can_oversee(own)
    assert not call.can_manage(other) and not call.can_oversee(other)
    assert call.can_oversee(regulator) and not call.can_manage(regulator)
    assert not call.can_manage(make_user(Role.admin)) and not call.can_oversee(AnonymousUserMixin())


def test_templates_offer_forms_only_to_who_may_use_them(client):
    call = open_call(make_official("500103"), "500103")
    login(client, make_official("500103"))
    assert 'name="name"' in client.get("/official/districts/500103/townships").get_data(as_text=True)
    assert CLOSE in client.get(f"/official/solicitations/{call.id}").get_data(as_text=True)
    login(client, make_user(Role.regulator))
    assert 'name="name"' not in client.get("/official/districts/500103/townships").get_data(as_text=True)
    assert CLOSE not in client.get(f"/official/solicitations/{call.id}").get_data(as_text=True)


def test_regulator_post_is_refused_before_anything_is_validated_or_saved(client):
    login(client, make_user(Role.regulator))
    assert client.post("/official/districts/500103/townships", data={"name": "", "kind": "street"}).status_code == 403
    assert db.session.query(Township).count() == 0


def test_duplicate_township_is_shown_on_the_field_and_nothing_is_saved(client):
    login(client, make_official("500103"))
    ok = client.post("/official/districts/500103/townships", data={"name": "解放碑街道", "kind": "street"})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/official/districts/500103/townships")
    again = client.post("/official/districts/500103/townships", data={"name": "解放碑街道", "kind": "street"})
    assert again.status_code == 200 and "该区县已有同名乡镇/街道。" in again.get_data(as_text=True)
    assert db.session.query(Township).count() == 1


def _registry_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_no_registry_route_module_imports_another_route_module():
    route_files = [p for p in REGISTRY.rglob("*.py") if p.stem.endswith("routes") and p != REGISTRY / "routes.py"]
    assert len(route_files) >= 4
    for path in route_files:
        imported = {name for name in _registry_imports(path) if name.split(".")[-1].endswith("routes")}
        assert not imported, f"{path.relative_to(REGISTRY)} imports {sorted(imported)}"
