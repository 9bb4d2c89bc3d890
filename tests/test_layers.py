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
# The one exception (DESIGN.md, "GIS"): the map pages in gis/views read the statistics through stats' query
# functions, scoped by the access policy, and offer the catalog's chapters and code normaliser as filters. Exactly
# these modules, from gis/views only; nothing else in gis names a higher app.
EXCEPTIONS = {"gis/views": {"accounts.policy", "catalog.codes", "catalog.models", "stats.queries"}}


def modules(package):
    return sorted(path for path in (ROOT / package).rglob("*.py") if "__pycache__" not in path.parts)


def references(path, source=None):
    """(line, top-level package) for every import, and every string naming a package or package.something."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"), filename=str(path))
    allowed = next((modules for folder, modules in EXCEPTIONS.items() if path.is_relative_to(ROOT / folder)), set())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name not in allowed:
                    yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from accounts import policy` is the module accounts.policy.
            if node.module not in allowed and not all(f"{node.module}.{alias.name}" in allowed for alias in node.names):
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



def test_the_gis_views_exception_is_narrow():
    """In gis/views the listed modules only are allowed; elsewhere in gis, not even those."""
    source = (
        "from stats.queries import flows\nfrom accounts import policy\nfrom manifests.models import Manifest\n"
        "from accounts import policy, models\n"
    )
    in_views = [name for _line, name in references(ROOT / "gis" / "views" / "probe.py", source)]
    assert in_views == ["manifests", "accounts"]
    elsewhere = [name for _line, name in references(ROOT / "gis" / "probe.py", "import stats.queries\n")]
    assert elsewhere == ["stats"]
