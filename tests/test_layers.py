"""The rooms' arrows run one way (docs/ARCHITECTURE.md): each app imports only the apps below it.

Read from the source with `ast`, every import counted, module-level or inside a function.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "common", "ledger", "notices", "insurees", "mutual_aid", "payments", "medical", "accounts", "staff",
    "portal",
)  # fmt: skip
# What each app may import; anything else is an arrow running back up.
ALLOWED = {
    "common": set(),
    "ledger": {"common"},
    # Notices know no room above them: a person is a foreign key by name, what a notice is about an id.
    "notices": {"common"},
    # An insuree whose insurance ends or moves ends his bindings at once (insurees.services.insuree_change
    # calls mutual_aid's service inside its body): the one arrow between two rooms of the same floor.
    "insurees": {"common", "ledger", "mutual_aid"},
    "mutual_aid": {"common", "insurees", "notices"},
    "payments": {"common", "ledger", "insurees", "mutual_aid", "notices"},
    # Allowances (medical costs): nothing below imports medical; its pages reach the home page through its
    # template tags, `GET me/` is its subclass of insurees' MeApi, and the counter (staff) calls its door.
    # An institution's terminal login is made by accounts, which owns every login.
    "medical": {"common", "ledger", "insurees", "mutual_aid", "notices", "accounts"},
    "accounts": {"common", "insurees", "notices"},
    "staff": {"common", "ledger", "insurees", "mutual_aid", "payments", "medical", "accounts", "notices"},
    # The top: the home page and the demo data (seed_demo makes medical's institutions and an allowance).
    "portal": {
        "common",
        "ledger",
        "insurees",
        "mutual_aid",
        "payments",
        "medical",
        "accounts",
        "staff",
        "notices",
    },
}


def imported_apps(app: str, root: Path = ROOT) -> dict[str, set[str]]:
    """The apps each module of `app` imports (migrations aside: they name their dependencies)."""
    found: dict[str, set[str]] = {}
    for path in (root / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
        found[str(path.relative_to(root))] = {name for name in names if name in APPS and name != app}
    return found


@pytest.mark.parametrize("app", APPS)
def test_an_app_imports_only_the_apps_below_it(app):
    upward = {
        module: sorted(apps - ALLOWED[app])
        for module, apps in imported_apps(app).items()
        if apps - ALLOWED[app]
    }

    assert upward == {}


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    late = tmp_path / "common" / "late.py"
    late.parent.mkdir()
    late.write_text("def f():\n    from payments.models import Payment\n    return Payment\n")

    assert imported_apps("common", root=tmp_path) == {"common/late.py": {"payments"}}
