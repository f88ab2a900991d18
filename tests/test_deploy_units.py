"""The systemd units shipped in deploy/systemd (issue 17): each process supervised and restarted, and
each unit's command still one the project has (a renamed command or module would fail only on a
server otherwise). `systemd-analyze verify` checks their syntax where it is installed."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from celery import Celery
from celery.bin.celery import celery as celery_cli
from django.core.management import get_commands, load_command_class

from config.databases import process_role

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/gongji"  # where the units expect the checkout and its .venv
SERVICES = {
    "gongji-web.service": "web",
    "gongji-worker.service": "worker",
    "gongji-beat.service": "beat",
    "gongji-relay.service": "relay",
}
Unit = dict[str, dict[str, list[str]]]


def read_unit(path: Path) -> Unit:
    """[Section] -> key -> values (a key such as Environment= may come more than once)."""
    sections: Unit = {}
    current: dict[str, list[str]] | None = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None, f"{path.name}: {line!r} before any section"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(unit: Unit, section: str, key: str) -> str:
    values = unit.get(section, {}).get(key, [])
    assert len(values) == 1, f"[{section}] {key}= {values}"
    return values[0]


def exec_start(unit: Unit) -> list[str]:
    """ExecStart's command line, pointed at this checkout instead of the installed one."""
    return [word.replace(INSTALLED, str(ROOT)) for word in shlex.split(one(unit, "Service", "ExecStart"))]


def test_the_target_starts_every_shipped_service_and_nothing_else():
    shipped = {path.name for path in UNITS.glob("*.service")}
    target = read_unit(UNITS / "gongji.target")

    assert shipped == set(SERVICES)
    assert set(one(target, "Unit", "Wants").split()) == shipped
    assert one(target, "Install", "WantedBy") == "multi-user.target"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_each_service_is_restarted_runs_unprivileged_and_hardened(name):
    unit = read_unit(UNITS / name)

    assert one(unit, "Service", "Restart") in ("always", "on-failure")
    assert float(one(unit, "Service", "RestartSec")) > 0
    assert one(unit, "Unit", "StartLimitIntervalSec") == "0"  # never gives up while a dependency is away
    assert one(unit, "Unit", "PartOf") == "gongji.target"
    assert one(unit, "Install", "WantedBy") == "gongji.target"
    assert one(unit, "Service", "User") == "gongji"
    assert one(unit, "Service", "EnvironmentFile") == "/etc/gongji/env"
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in unit["Service"]["Environment"]
    assert one(unit, "Service", "WorkingDirectory") == INSTALLED
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert one(unit, "Service", key) == value, key


def test_the_web_unit_runs_gunicorn_with_the_projects_configuration_and_outwaits_its_graceful_stop():
    unit = read_unit(UNITS / "gongji-web.service")
    program, *args = exec_start(unit)

    assert Path(program).name == "gunicorn"
    assert Path(program).is_file()
    assert importlib.util.find_spec(args[0]) is not None  # config.wsgi
    config = Path(args[args.index("-c") + 1])
    assert config == ROOT / "gunicorn.conf.py"
    assert config.is_file()
    graceful = next(
        node.value.value
        for node in ast.parse(config.read_text()).body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "graceful_timeout"
    )
    assert int(one(unit, "Service", "TimeoutStopSec")) > graceful
    assert one(unit, "Service", "Type") == "notify"  # gunicorn's sd_notify: up once its workers are


@pytest.mark.parametrize(
    ("name", "command"), [("gongji-worker.service", "worker"), ("gongji-beat.service", "beat")]
)
def test_the_celery_units_name_the_projects_app_and_a_real_subcommand(name, command):
    program, *args = exec_start(read_unit(UNITS / name))

    assert Path(program).name == "celery"
    assert Path(program).is_file()
    app_module = args[args.index("-A") + 1]
    assert isinstance(importlib.import_module(f"{app_module}.celery").app, Celery)
    assert args[2] == command
    assert command in celery_cli.commands
    known = {option for param in celery_cli.commands[command].params for option in param.opts}
    assert {arg.split("=")[0] for arg in args[3:] if arg.startswith("-")} <= known


def test_the_worker_gets_time_for_a_warm_shutdown():
    unit = read_unit(UNITS / "gongji-worker.service")

    assert one(unit, "Service", "KillSignal") == "SIGTERM"  # Celery's warm shutdown
    assert one(unit, "Service", "KillMode") == "mixed"  # to the main process, which stops its children
    assert int(one(unit, "Service", "TimeoutStopSec")) >= 60


def test_the_relay_unit_runs_a_manage_py_command_that_exists_with_its_options():
    program, script, command, *rest = exec_start(read_unit(UNITS / "gongji-relay.service"))

    assert Path(program).name == "python"
    assert Path(program).is_file()
    assert (ROOT / script).is_file()
    app_name = get_commands()[command]
    options = load_command_class(app_name, command).create_parser("manage.py", command).parse_args(rest)
    assert options.loop is True


@pytest.mark.parametrize(("name", "role"), sorted(SERVICES.items()))
def test_each_units_connections_are_named_after_its_process(name, role):
    argv = exec_start(read_unit(UNITS / name))
    if Path(argv[0]).name.startswith("python"):
        argv = argv[1:]  # what sys.argv holds: the script and its arguments, not the interpreter

    assert process_role(argv) == role


def test_beat_keeps_its_schedule_in_the_state_directory(tmp_path):
    unit = read_unit(UNITS / "gongji-beat.service")
    environment = dict(value.split("=", 1) for value in unit["Service"]["Environment"])
    schedule = environment["CELERY_BEAT_SCHEDULE_FILENAME"]

    assert one(unit, "Service", "StateDirectory") == "gongji"
    assert Path(schedule).parent == Path("/var/lib/gongji")
    # The variable is the one the settings read (and Celery beat then uses).
    env = {**os.environ, "CELERY_BEAT_SCHEDULE_FILENAME": str(tmp_path / "schedule")}
    printed = subprocess.run(  # noqa: S603 - a fixed command line
        [
            sys.executable,
            "-c",
            "import json, django; django.setup(); from config.celery import app; "
            "print(json.dumps(app.conf.beat_schedule_filename))",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    assert json.loads(printed.stdout.strip().splitlines()[-1]) == str(tmp_path / "schedule")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_units(tmp_path):
    for path in [*UNITS.glob("*.service"), *UNITS.glob("*.target")]:
        (tmp_path / path.name).write_text(path.read_text().replace(INSTALLED, str(ROOT)))

    result = subprocess.run(  # noqa: S603 - a fixed command line
        ["systemd-analyze", "verify", *sorted(str(path) for path in tmp_path.iterdir())],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (result.returncode, result.stdout + result.stderr) == (0, "")
