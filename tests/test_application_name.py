"""Every PostgreSQL connection names its process (issue 17): pg_stat_activity tells gunicorn's from the
worker's, beat's, the relay's and a command's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from config.databases import database_config, process_role
from tests.conftest import _database_url

ROOT = Path(__file__).resolve().parent.parent
OWN_NAME = "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (["/opt/gongji/.venv/bin/gunicorn", "config.wsgi", "-c", "gunicorn.conf.py"], "web"),
        (["manage.py", "runserver", "127.0.0.1:8000"], "web"),
        (["/opt/gongji/.venv/bin/celery", "-A", "config", "worker", "--loglevel=INFO"], "worker"),
        (
            ["/usr/lib/python3/dist-packages/celery/__main__.py", "-A", "config", "worker", "--pool=solo"],
            "worker",
        ),
        (["/opt/gongji/.venv/bin/celery", "-A", "config", "beat"], "beat"),
        (["/opt/gongji/.venv/bin/celery", "-A", "config", "inspect", "ping"], "manage"),
        (["manage.py", "relay_outbox", "--loop"], "relay"),
        (["manage.py", "migrate"], "manage"),
        (["/opt/gongji/.venv/bin/pytest", "-q"], "test"),
        ([], "manage"),
    ],
)
def test_the_role_is_read_from_the_command_line(argv, role, monkeypatch):
    monkeypatch.delenv("GONGJI_PROCESS", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)

    assert process_role(argv) == role


def test_gongji_process_says_it_instead(monkeypatch):
    monkeypatch.setenv("GONGJI_PROCESS", "import")

    assert process_role(["manage.py", "migrate"]) == "import"


def test_a_name_in_database_url_is_kept():
    url = "postgres://postgres@127.0.0.1:5432/gongji?application_name=gongji-report"
    config = database_config(url, conn_max_age=0, server_side_binding=False)

    assert config["OPTIONS"]["application_name"] == "gongji-report"


def test_this_processs_connection_is_named(db):
    with connection.cursor() as cursor:
        cursor.execute(OWN_NAME)
        assert cursor.fetchone() == ("gongji-test",)


def test_a_manage_py_commands_connection_is_named_gongji_manage(db):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"GONGJI_PROCESS", "PYTEST_XDIST_WORKER"}
    }
    env.update(DATABASE_URL=_database_url(), DJANGO_SETTINGS_MODULE="config.settings.test")
    script = (
        f"from django.db import connection; print(connection.cursor().execute({OWN_NAME!r}).fetchone()[0])"
    )

    result = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "gongji-manage"
