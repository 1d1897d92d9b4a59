"""The house's layering (SPEC section 3, STYLE.md): imports point down, no cycles, no relationship upward.

Bottom to top: core <- suppliers <- catalog <- registry <- market <- devices <- payments/orders <- complaints
<- reports; payments imports only core. A lower package never imports a higher one (not even inside a
function), modules do not import each other in a circle, and a model never names a class of a higher
package in `relationship()` nor adds attributes to another package's class with `backref`.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ORDER = ("core", "suppliers", "catalog", "registry", "market", "devices", "payments", "orders", "complaints",
         "reports")
#: What each package may import besides itself.
MAY_IMPORT: dict[str, set[str]] = {pkg: set(ORDER[:i]) for i, pkg in enumerate(ORDER)}
MAY_IMPORT["payments"] = {"core"}
MAY_IMPORT["devices"] = set(ORDER[:ORDER.index("market") + 1])


@dataclass(frozen=True)
class Module:
    name: str
    package: str
    path: Path
    tree: ast.Module


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def load_modules(root: Path = ROOT) -> dict[str, Module]:
    modules = {}
    for package in ORDER:
        for path in sorted((root / package).rglob("*.py")) if (root / package).is_dir() else ():
            name = _module_name(path) if root == ROOT else ".".join(
                [*path.relative_to(root).with_suffix("").parts])
            modules[name] = Module(name, package, path, ast.parse(path.read_text(encoding="utf-8")))
    return modules


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.name.split(".")
    if module.path.name != "__init__.py":
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: Module, known: set[str]) -> list[tuple[int, str]]:
    """(line, imported project module) for every import in the module, function-local ones included."""
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            # `from pkg import mod` imports a module when pkg.mod is one; else a name from pkg.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found.extend((node.lineno, t) for t in targets if t.split(".")[0] in ORDER)
    return found


def upward_imports(modules: dict[str, Module]) -> list[str]:
    known = set(modules)
    problems = []
    for module in modules.values():
        for line, target in imports_of(module, known):
            top = target.split(".")[0]
            if top != module.package and top not in MAY_IMPORT[module.package]:
                problems.append(f"{module.name}:{line} {module.package} imports {target}")
    return problems


def import_cycles(modules: dict[str, Module]) -> list[list[str]]:
    """Cycles in the graph of module imports (each cycle once, as a list of module names)."""
    known = set(modules)
    graph = {name: sorted({t for _, t in imports_of(m, known) if t in known and t != name})
             for name, m in modules.items()}
    cycles, state, stack = [], {}, []

    def visit(name: str) -> None:
        state[name] = "open"
        stack.append(name)
        for nxt in graph[name]:
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[name] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return cycles


def _class_homes(modules: dict[str, Module]) -> dict[str, str]:
    homes = {}
    for module in modules.values():
        for node in module.tree.body:
            if isinstance(node, ast.ClassDef):
                homes.setdefault(node.name, module.package)
    return homes


def upward_relationships(modules: dict[str, Module]) -> list[str]:
    """relationship("X") naming a class of a higher package, and any backref onto another package's class."""
    homes = _class_homes(modules)
    problems = []
    for module in modules.values():
        for node in ast.walk(module.tree):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                    == "relationship"):
                continue
            target = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
            target_pkg = homes.get(target) if isinstance(target, str) else None
            where = f"{module.path.name}:{node.lineno}"
            if target_pkg and target_pkg != module.package and target_pkg not in MAY_IMPORT[module.package]:
                problems.append(f"{where} {module.package} names {target} of the higher package {target_pkg}")
            if any(k.arg == "backref" for k in node.keywords) and target_pkg != module.package:
                problems.append(f"{where} backref adds an attribute to {target} of package {target_pkg}")
    return problems


def provider_hooks(modules: dict[str, Module]) -> list[str]:
    """Module-level hooks that a higher layer fills in (`global x` assigned inside a function)."""
    problems = []
    for module in modules.values():
        for node in ast.walk(module.tree):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("set_") and node.name.endswith("provider"):
                problems.append(f"{module.path.name}:{node.lineno} {node.name}")
    return problems


def route_imports(modules: dict[str, Module]) -> list[str]:
    """A route module importing another route module (only a package's parent `routes.py` gathers its own)."""
    known = set(modules)
    problems = []
    for module in modules.values():
        if not module.name.split(".")[-1].endswith("routes"):
            continue
        parent_blueprint = module.name == f"{module.package}.routes"
        for line, target in imports_of(module, known):
            if not target.split(".")[-1].endswith("routes") or target == module.name:
                continue
            if parent_blueprint and target.startswith(f"{module.package}."):
                continue
            problems.append(f"{module.name}:{line} imports the route module {target}")
    return problems


MODULES = load_modules()


def test_the_packages_exist_in_order():
    assert {m.package for m in MODULES.values()} >= {"core", "catalog", "registry", "payments"}


def test_no_package_imports_a_higher_one():
    assert upward_imports(MODULES) == []


def test_modules_import_each_other_without_cycles():
    assert import_cycles(MODULES) == []


def test_no_relationship_points_up_and_no_backref_crosses_packages():
    assert upward_relationships(MODULES) == []


def test_no_route_module_imports_another():
    assert route_imports(MODULES) == []


def test_no_provider_hooks():
    assert provider_hooks(MODULES) == []


# -- the guard itself catches what it must (a fake tree) --


@pytest.fixture
def fake_tree(tmp_path):
    def build(files: dict[str, str]) -> dict[str, Module]:
        for rel, text in files.items():
            path = tmp_path / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        return load_modules(tmp_path)
    return build


def test_guard_catches_an_upward_import_even_inside_a_function(fake_tree):
    modules = fake_tree({"catalog/__init__.py": "", "registry/__init__.py": "",
                         "catalog/models.py": "def f():\n    from registry import queries\n",
                         "registry/queries.py": "import catalog.models\n"})
    assert [p.split(" ", 1)[1] for p in upward_imports(modules)] == ["catalog imports registry.queries"]


def test_guard_catches_payments_importing_catalog(fake_tree):
    modules = fake_tree({"payments/__init__.py": "", "payments/gateway.py": "from catalog.models import Product\n",
                         "catalog/__init__.py": "", "catalog/models.py": "class Product: pass\n"})
    assert len(upward_imports(modules)) == 1


def test_guard_catches_a_cycle(fake_tree):
    modules = fake_tree({"registry/__init__.py": "", "registry/a.py": "from registry import b\n",
                         "registry/b.py": "import registry.a\n"})
    assert import_cycles(modules) == [["registry.a", "registry.b", "registry.a"]]


def test_guard_catches_relationships_up_and_backrefs_across(fake_tree):
    modules = fake_tree({
        "core/__init__.py": "", "core/models.py": "class User: supplier = relationship('Supplier')\n",
        "suppliers/__init__.py": "", "suppliers/models.py": "class Supplier: pass\n",
        "catalog/__init__.py": "",
        "catalog/models.py": "class Product: supplier = relationship('Supplier', backref='products')\n",
    })
    problems = upward_relationships(modules)
    assert any("core names Supplier" in p for p in problems)
    assert any("backref adds an attribute to Supplier" in p for p in problems)
    assert len(problems) == 2


def test_guard_catches_a_route_module_importing_another(fake_tree):
    modules = fake_tree({"suppliers/__init__.py": "", "suppliers/routes.py": "x = 1\n",
                         "catalog/__init__.py": "", "catalog/routes.py": "from suppliers.routes import x\n",
                         "registry/__init__.py": "", "registry/lists/__init__.py": "",
                         "registry/lists/public_routes.py": "y = 1\n",
                         "registry/routes.py": "from registry.lists import public_routes\n"})
    assert route_imports(modules) == ["catalog.routes:1 imports the route module suppliers.routes"]


def test_guard_catches_a_provider_hook(fake_tree):
    modules = fake_tree({"catalog/__init__.py": "",
                         "catalog/search.py": "_p = None\ndef set_listing_provider(fn):\n    global _p\n    _p = fn\n"})
    assert provider_hooks(modules) == ["search.py:2 set_listing_provider"]
