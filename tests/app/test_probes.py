"""The worker probe and beat's start-up, without a worker."""

import os
import subprocess
import sys
import time

from config.beat import clear_stale_state
from worker_probe import check

from tasks.paths import APP


def test_fresh_heartbeat_passes_and_stale_or_missing_fails(tmp_path):
    beat = tmp_path / "hb"
    assert "no heartbeat file" in check(beat, max_age=60)
    beat.touch()
    assert check(beat, max_age=60) is None
    old = time.time() - 120
    os.utime(beat, (old, old))
    assert "120s old" in check(beat, max_age=60)


def test_probe_needs_only_the_standard_library(tmp_path):
    # -S hides site-packages: if the probe imported Django or Celery, it would fail here.
    beat = tmp_path / "hb"
    beat.touch()
    env = {"CELERY_HEARTBEAT_FILE": str(beat)}
    result = subprocess.run([sys.executable, "-S", "worker_probe.py"], cwd=APP, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_beat_clears_the_last_runs_schedule_and_pid(tmp_path):
    schedule = tmp_path / "celerybeat-schedule"
    leftovers = [schedule, tmp_path / "celerybeat-schedule.db", tmp_path / "celerybeat-schedule.pid"]
    for path in leftovers:
        path.write_text("stale")
    keep = tmp_path / "unrelated"
    keep.write_text("keep")
    assert sorted(clear_stale_state(schedule)) == sorted(leftovers)
    assert list(tmp_path.iterdir()) == [keep]
