"""The heartbeat probe and beat's start-up, without a worker or beat running."""

import os
import subprocess
import sys
import time

import pytest

from config.beat import clear_stale_state
from ops.heartbeat_probe import INTERVAL_SECONDS, MAX_AGE_SECONDS, ROLES, check
from tasks.paths import APP


@pytest.mark.parametrize("role", ROLES)
def test_fresh_heartbeat_passes_and_stale_or_missing_fails(tmp_path, role):
    heartbeat = tmp_path / "hb"
    assert "no heartbeat file" in check(role, heartbeat, max_age=60)
    heartbeat.touch()
    assert check(role, heartbeat, max_age=60) is None
    old = time.time() - 120
    os.utime(heartbeat, (old, old))
    assert check(role, heartbeat, max_age=60) == f"{role} heartbeat is 120s old (limit 60s): the {role} loop is stuck"


def test_the_age_limit_tolerates_many_missed_touches():
    # One slow pass of a loop must not look like a hang.
    assert MAX_AGE_SECONDS >= 10 * INTERVAL_SECONDS


def probe(tmp_path, *args: str) -> subprocess.CompletedProcess:
    # -S hides site-packages: if the probe imported Django or Celery, it would fail here.
    env = {"CELERY_HEARTBEAT_DIR": str(tmp_path)}
    argv = [sys.executable, "-S", "ops/heartbeat_probe.py", *args]
    return subprocess.run(argv, cwd=APP, env=env, capture_output=True, text=True, timeout=10)


@pytest.mark.parametrize("role", ROLES)
def test_probe_script_needs_only_the_standard_library_and_says_why_in_one_line(tmp_path, role):
    heartbeat = tmp_path / f"celery-{role}-heartbeat"
    missing = probe(tmp_path, role)
    assert missing.returncode == 1
    assert missing.stderr == f"no heartbeat file at {heartbeat}: the {role} has not started or has stopped\n"

    heartbeat.touch()
    fresh = probe(tmp_path, role)
    assert (fresh.returncode, fresh.stdout, fresh.stderr) == (0, "", "")

    old = time.time() - MAX_AGE_SECONDS - 30
    os.utime(heartbeat, (old, old))
    stale = probe(tmp_path, role)
    assert stale.returncode == 1
    assert stale.stderr.count("\n") == 1
    assert f"{role} heartbeat is {MAX_AGE_SECONDS + 30:.0f}s old" in stale.stderr


def test_probe_script_refuses_an_unknown_role(tmp_path):
    for args in ((), ("web",), ("worker", "beat")):
        result = probe(tmp_path, *args)
        assert (result.returncode, result.stderr) == (2, "usage: heartbeat_probe.py worker|beat\n")


@pytest.mark.slow  # a fresh interpreter starting Django and Celery: most of a second of a core
def test_web_loads_neither_the_heartbeat_module_nor_celery_beat():
    # Each web (re)start pays for what config imports: the worker step and beat's scheduler are named, not imported.
    code = "import sys, config.wsgi; print(sorted(m for m in ('celery.beat', 'ops.heartbeat') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], cwd=APP, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "[]\n"


def test_beat_clears_the_last_runs_schedule_and_pid(tmp_path):
    schedule = tmp_path / "celerybeat-schedule"
    leftovers = [schedule, tmp_path / "celerybeat-schedule.db", tmp_path / "celerybeat-schedule.pid"]
    for path in leftovers:
        path.write_text("stale")
    keep = tmp_path / "unrelated"
    keep.write_text("keep")
    assert sorted(clear_stale_state(schedule)) == sorted(leftovers)
    assert list(tmp_path.iterdir()) == [keep]
