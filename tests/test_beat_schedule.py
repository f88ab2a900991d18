"""Beat keeps its schedule where the settings say (issue 17: it wrote `celerybeat-schedule` into
whatever directory it was started from). Beat itself, started elsewhere, is watched writing it there
in tests/payments/test_worker_survival.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from config.celery import BeatScheduler, app

ROOT = Path(__file__).resolve().parent.parent
SHOW = (
    "import django; django.setup()\n"
    "from celery.apps.beat import Beat\n"
    "from config.celery import app\n"
    "print(Beat(app=app, quiet=True).schedule, app.conf.beat_scheduler)\n"
)


def beat_schedule(**env: str) -> list[str]:
    """The schedule file and the scheduler beat would use, as `celery -A config beat` reads them."""
    result = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1].split()


def test_by_default_beat_keeps_it_in_the_projects_state_directory_with_its_own_scheduler():
    assert beat_schedule() == [str(ROOT / "var" / "celerybeat-schedule"), "config.celery.BeatScheduler"]


def test_celery_beat_schedule_filename_puts_it_elsewhere(tmp_path):
    where = tmp_path / "state" / "celerybeat-schedule"

    assert beat_schedule(CELERY_BEAT_SCHEDULE_FILENAME=str(where))[0] == str(where)


def test_the_scheduler_makes_a_state_directory_that_is_not_there_yet(tmp_path):
    where = tmp_path / "var" / "lib" / "gongji" / "celerybeat-schedule"

    scheduler = BeatScheduler(app=app, schedule_filename=str(where))
    try:
        assert where.parent.is_dir()
        assert list(where.parent.iterdir())  # the schedule itself (shelve picks the suffix)
    finally:
        scheduler.close()
