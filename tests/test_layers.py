"""The apps depend one way: common ← gis ← catalog ← accounts ← manifests ← stats ← hwms (the project, on top).

No module or migration of an app imports or names a higher one, not even by string ("manifests.WasteCode",
apps.get_model("manifests", …), a migration dependency), so there is no import cycle between apps.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ORDER = ["common", "gis", "catalog", "accounts", "manifests", "stats", "hwms"]
ROOT = Path(settings.BASE_DIR)


def modules(package):
    return sorted(path for path in (ROOT / package).rglob("*.py") if "__pycache__" not in path.parts)


def references(path):
    """(line, top-level package) for every import, and every string naming a package or package.something."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module.split(".")[0]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            head = node.value.split(".")[0]
            if head in ORDER and (node.value == head or "." in node.value):
                yield node.lineno, head


@pytest.mark.parametrize("package", ORDER)
def test_no_module_of_an_app_names_a_higher_one(package):
    higher = set(ORDER[ORDER.index(package) + 1 :])
    found = [
        f"{path.relative_to(ROOT)}:{line} names {name}"
        for path in modules(package)
        for line, name in references(path)
        if name in higher
    ]
    assert found == []


def test_every_app_is_in_the_order():
    apps = {name for name in ORDER if (ROOT / name).is_dir()}
    project_apps = {app.split(".")[0] for app in settings.INSTALLED_APPS} & {p.name for p in ROOT.iterdir() if p.is_dir()}
    assert project_apps <= set(ORDER) and apps == set(ORDER)
