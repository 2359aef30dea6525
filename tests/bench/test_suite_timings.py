"""`pytest --timings` (tests/support/timings.py) and `invoke bench --suite`'s table, on a small real run."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tasks.bench.suite_timings import table
from tasks.paths import ROOT

SAMPLE = """
import time
import pytest

@pytest.fixture(scope="session")
def expensive():
    time.sleep(1.0)

def test_sleeps(expensive):
    time.sleep(0.2)

@pytest.mark.slow
def test_quick(expensive):
    pass
"""


@pytest.mark.slow  # two pytest runs, one with two workers
@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
def test_the_plugin_counts_seconds_and_sleep_per_part_file_and_wide_fixture(tmp_path, workers):
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n")
    out = tmp_path / "timings.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    argv = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:django",
        "-p",
        "tests.support.timings",
        "--timings",
        str(out),
        *workers,
    ]
    ran = subprocess.run([*argv, "test_sample.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    data = json.loads(out.read_text())
    (file,) = data["files"].values()
    assert (file["tests"], file["part"]) == (2, "slow")  # a file is named by its widest part
    assert file["slept"] >= 0.2 and file["seconds"] < 1.0  # the fixture's second is its own, not the test's
    assert {name: part["tests"] for name, part in data["parts"].items()} == {"fast": 1, "slow": 1}
    fixture = data["fixtures"]["expensive"]
    assert fixture["slept"] >= 1.0 and fixture["seconds"] >= fixture["slept"]
    assert fixture["first_needed_by"].startswith("test_sample.py::")
    assert data["lanes"].keys() == {"no lane"} and data["lanes"]["no lane"]["tests"] == 2
    assert data["lanes"]["no lane"]["seconds"] >= 1.2  # the tests and, this time, the fixture too
    assert data["workers"] and set(data["workers"]) <= ({"gw0", "gw1"} if workers else {"main"})
    assert sum(w["tests"] for w in data["workers"].values()) == 2
    assert all(0 < w["last_ended"] <= data["wall_seconds"] for w in data["workers"].values())
    # Each test's worker and span, seconds into the run: what ran beside what.
    assert data["timeline"].keys() == {"test_sample.py::test_sleeps", "test_sample.py::test_quick"}
    for worker, started, ended in data["timeline"].values():
        assert worker in data["workers"] and 0 <= started < ended <= data["wall_seconds"]
    assert (
        data["timeline"]["test_sample.py::test_sleeps"][2] - data["timeline"]["test_sample.py::test_sleeps"][1] >= 0.2
    )
    # Once per process that needs it: once serially, once or twice with two workers.
    assert fixture["slept"] < (2.5 if workers else 1.5)

    shown = table(data, "abc1234", when="2026-12-06")
    assert shown.startswith("2026-12-06, commit abc1234, `invoke bench --suite`: 2 tests, ")
    assert f"| `expensive` | {fixture['seconds']:.0f} | {fixture['slept']:.0f} | `test_sample.py` |" in shown
    assert "| `test_sample.py` | slow | 2 |" in shown
    assert f"| no lane | 2 | {data['lanes']['no lane']['seconds']:.0f} |" in shown
    for name, worker in data["workers"].items():
        assert f"| {name} | {worker['tests']} | {worker['seconds']:.0f} | {worker['last_ended']:.0f} |" in shown


def test_the_table_gives_the_fast_runs_first_when_they_were_timed():
    data = {"parts": {"fast": {"tests": 1, "seconds": 0.5, "slept": 0.0}}, "files": {}, "fixtures": {}}
    timed = table({**data, "wall_seconds": 9.0, "fast_walls": [14.04, 12.96, 13.0]}, "abc1234", when="2026-12-07")
    assert timed.splitlines()[:3] == [
        "2026-12-07, commit abc1234, `invoke bench --suite`: 1 tests, 9 s of pytest from start to end.",
        "",
        "`invoke test --unit`, from the command to its last line: 14.0 s, 13.0 s, 13.0 s.",
    ]
    assert "invoke test --unit" not in table({**data, "wall_seconds": 9.0}, "abc1234")


def test_the_table_gives_the_cpus_busy_share_and_the_busiest_programs_when_they_were_sampled():
    data = {"parts": {}, "files": {}, "fixtures": {}, "wall_seconds": 100.0}
    cpu = {"seconds": 100.0, "cores": 2, "busy_cpu_seconds": 170.0, "seen_cpu_seconds": 120.0}
    shown = table({**data, "cpu": {**cpu, "busiest": [["dockerd", 80.4], ["python -m pytest", 39.6]]}}, "abc1234")
    assert (
        "CPU while pytest ran: 170 CPU seconds busy over 100 s, 85% of 2 cores; 120 of them in processes a sample "
        "saw" in shown
    )
    assert "| `dockerd` | 80 |\n| `python -m pytest` | 40 |" in shown
    assert "CPU while" not in table(data, "abc1234")
