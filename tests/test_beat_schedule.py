"""Beat keeps its schedule where the settings say (issue 17: it wrote `celerybeat-schedule` into
whatever directory it was started from). Beat itself, started elsewhere, is watched writing it there
in tests/payments/test_worker_survival.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOW = (
    "import django; django.setup()\n"
    "from celery.apps.beat import Beat\n"
    "from config.celery import app\n"
    "print(Beat(app=app, quiet=True).schedule)\n"
)


def beat_schedule(**env: str) -> str:
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_by_default_beat_keeps_it_in_the_projects_state_directory_which_git_ignores():
    schedule = Path(beat_schedule())

    assert schedule == ROOT / "var" / "celerybeat-schedule"
    # The directory is there in every checkout: git keeps its .gitignore, which ignores the rest.
    assert (schedule.parent / ".gitignore").read_text().splitlines()[-2:] == ["*", "!.gitignore"]


def test_celery_beat_schedule_filename_puts_it_elsewhere(tmp_path):
    where = tmp_path / "state" / "celerybeat-schedule"

    assert beat_schedule(CELERY_BEAT_SCHEDULE_FILENAME=str(where)) == str(where)
