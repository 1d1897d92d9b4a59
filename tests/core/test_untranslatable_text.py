"""No user-visible Chinese is hard-coded outside gettext: it would show untranslated on English pages."""

import ast
import re

from core.config import PROJECT_ROOT

CJK = re.compile(r"[\u3400-\u9fff]")
#: In templates Chinese punctuation counts too: a bare "（" or "、" shows on English pages.
CJK_OR_PUNCTUATION = re.compile(r"[\u3400-\u9fff\uff01-\uff5e\u3000-\u303f]")
GETTEXT = {"_", "_l", "N_", "ngettext", "gettext", "lazy_gettext"}
PACKAGES = ("core", "suppliers", "catalog", "registry", "market", "devices", "payments", "orders", "complaints",
            "reports")
#: Chinese that is data, not interface text: policy clause citations (SPEC keeps them in Chinese) and the
#: numerals that core/policy_source.py reads in them, search
#: synonyms, the language switch's own name, a phone-number pattern. The stub imitates a third party.
ALLOWED_FILES = {"catalog/tiers.py", "registry/lists/publication.py", "market/search/index.py", "market/search/text.py",
                 "market/openapi.py", "catalog/services.py", "core/i18n.py", "suppliers/forms.py",
                 "core/policy_source.py"}


def _hard_coded(path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and CJK.search(node.value)):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Expr):  # docstrings
            continue
        if isinstance(parent, ast.Call) and getattr(parent.func, "id", getattr(parent.func, "attr", "")) in GETTEXT:
            continue
        found.append(f"{path.relative_to(PROJECT_ROOT)}:{node.lineno} {node.value[:40]!r}")
    return found


def test_python_has_no_hard_coded_interface_chinese():
    problems = []
    for package in PACKAGES:
        for path in (PROJECT_ROOT / package).rglob("*.py"):
            rel = str(path.relative_to(PROJECT_ROOT))
            if "demo" in path.name or rel in ALLOWED_FILES or rel.startswith("payments/stub/"):
                continue
            problems += _hard_coded(path)
    assert problems == []


def test_templates_have_no_chinese_outside_gettext():
    problems = []
    for path in (PROJECT_ROOT / "templates").rglob("*.html"):
        if "payments/stub" in str(path):
            continue
        text = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        text = text.replace("中文", "")  # the language switch names itself
        problems += [f"{path.relative_to(PROJECT_ROOT)}: {line.strip()[:60]}"
                     for line in text.splitlines() if CJK_OR_PUNCTUATION.search(line)]
    assert problems == []
