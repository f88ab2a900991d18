"""The production gunicorn configuration (gunicorn.conf.py) sets the cycle collector up around the
fork as the gc module's documentation advises."""

import gc
import runpy
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


@pytest.fixture
def collector_restored():
    enabled, threshold = gc.isenabled(), gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    if enabled:
        gc.enable()


def test_the_master_loads_without_collecting_and_workers_collect_young_objects_less_often(collector_restored):
    gc.unfreeze()
    config = runpy.run_path(str(CONFIG))
    assert not gc.isenabled()  # while the master imports the app

    config["when_ready"](None)
    assert gc.get_freeze_count() > 0  # what the master loaded is out of every later collection
    assert gc.isenabled()  # the master collects what it makes afterwards
    gc.disable()
    config["pre_fork"](None, None)
    config["post_fork"](None, None)

    assert gc.isenabled()
    assert gc.get_threshold() == (10_000, 10, 10)
