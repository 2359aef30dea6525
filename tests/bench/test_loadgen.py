"""The load generator runs as a script by path, without importing the tasks package."""

from __future__ import annotations

import subprocess
import sys

from tasks.bench import loadgen


def test_loadgen_runs_by_path_and_imports_nothing_of_tasks():
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-W", "error", str(loadgen.SCRIPT), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd="/",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--count" in result.stdout
    imported = [
        line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    ]
    assert "requests" in imported  # the import log is really there
    assert [name for name in imported if name == "tasks" or name.startswith("tasks.")] == []


def test_a_non_loopback_target_is_refused_in_one_line():
    result = subprocess.run(
        [sys.executable, str(loadgen.SCRIPT), "--url", "http://192.0.2.1:8000", "--count", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
