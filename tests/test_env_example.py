""".env.example lists every variable the settings read, each at its default (issue 17: it said
CELERY_VISIBILITY_TIMEOUT=60 while the default was 900): copied as .env, it changes no setting."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / ".env.example"
# Where the variables are read: the settings profiles, and gunicorn's configuration.
READERS = [*sorted((ROOT / "config" / "settings").glob("*.py")), ROOT / "gunicorn.conf.py"]
READ = re.compile(
    r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]+)["']|os\.environ\.get\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
LINE = re.compile(r"^(#)?([A-Z][A-Z0-9_]*)=(.*)$")
# Which module runs is the caller's choice, not a setting's value.
NOT_COMPARED = {"DJANGO_SETTINGS_MODULE"}

PRINT_SETTINGS = """
import json, runpy, django
django.setup()
from django.conf import settings
values = {name: getattr(settings, name) for name in dir(settings) if name.isupper()}
gunicorn = runpy.run_path("gunicorn.conf.py")
values.update({f"gunicorn.{name}": gunicorn[name] for name in ("bind", "workers", "threads", "accesslog")})
print(json.dumps(values, default=str, sort_keys=True))
"""


def example() -> dict[str, tuple[bool, str]]:
    """Each variable the example names: whether it is set (not commented out), and its value."""
    found = {}
    for line in EXAMPLE.read_text().splitlines():
        match = LINE.match(line)
        if match:
            found[match.group(2)] = (match.group(1) is None, match.group(3))
    return found


def settings_with(extra: dict[str, str]) -> dict:
    listed = example()
    env = {key: value for key, value in os.environ.items() if key not in listed and key != "DATABASE_URL"}
    # The base profile: the variables' defaults without an embedded server or a required secret.
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings.base", **extra})
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_every_variable_the_settings_read_is_in_the_example():
    read = {
        name
        for path in READERS
        for match in READ.finditer(path.read_text())
        for name in match.groups()
        if name
    }

    assert read - set(example()) == set()


def test_the_example_copied_as_the_environment_changes_no_setting():
    assigned = {
        key: value for key, (is_set, value) in example().items() if is_set and key not in NOT_COMPARED
    }
    assert "CELERY_VISIBILITY_TIMEOUT" in assigned

    defaults, from_example = settings_with({}), settings_with(assigned)

    changed = {
        name: (defaults[name], from_example.get(name))
        for name in defaults
        if defaults[name] != from_example.get(name)
    }
    assert changed == {}
