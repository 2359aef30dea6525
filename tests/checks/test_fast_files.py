"""`--fast-files` (tests/support/fast_files.py): the fast run skips test files known to hold no fast test, and
only while they and what decides markers are unchanged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.checks.pytest_run import FAST_FILES, pytest_argv
from tasks.paths import ROOT

FAST = "def test_fast():\n    pass\n"
# Importing it leaves a trace: the proof that a run collected the file at all.
SLOW_ONLY = """import pathlib
import pytest

pathlib.Path("imported").open("a").write("x")

@pytest.mark.slow
def test_slow():
    pass
"""


def fast_run(where: Path) -> tuple[int, int]:
    """(tests passed, times the slow-only file has been imported so far)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:django", "-p", "tests.support.fast_files"]
    ran = subprocess.run(
        [*argv, "-m", "not slow", "--fast-files", "state/fast.json"],
        cwd=where,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    passed = int(ran.stdout.strip().splitlines()[-1].split(" passed")[0].split()[-1])
    imported = where / "imported"
    return passed, len(imported.read_text()) if imported.exists() else 0


@pytest.mark.slow  # five pytest runs
def test_a_file_without_fast_tests_is_skipped_until_it_or_a_conftest_changes(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n")
    (tmp_path / "test_fast.py").write_text(FAST)
    slow = tmp_path / "test_slow_only.py"
    slow.write_text(SLOW_ONLY)

    assert fast_run(tmp_path) == (1, 1)  # the first run imports every file, and records what it found
    record = json.loads((tmp_path / "state" / "fast.json").read_text())
    assert {name: entry["selected"] for name, entry in record["files"].items()} == {
        "test_fast.py": 1,
        "test_slow_only.py": 0,
    }
    assert fast_run(tmp_path) == (1, 1)  # not imported again

    (tmp_path / "test_new.py").write_text(FAST)
    assert fast_run(tmp_path) == (2, 1)  # a new file is collected

    slow.write_text(SLOW_ONLY + "\n\n" + FAST)
    assert fast_run(tmp_path) == (3, 2)  # the edited file is collected again, with its new fast test

    slow.write_text(SLOW_ONLY)
    fast_run(tmp_path)
    (tmp_path / "conftest.py").write_text("# a conftest could mark tests\n")
    assert fast_run(tmp_path) == (2, 4)  # a new conftest: everything is collected again


def test_only_the_fast_run_without_options_uses_the_record():
    assert pytest_argv("", unit=True)[6:8] == ["--fast-files", str(FAST_FILES)]
    assert pytest_argv("tests/shared", unit=True)[-3:] == ["--fast-files", str(FAST_FILES), "tests/shared"]
    assert "--fast-files" not in pytest_argv("-k doctor", unit=True)  # -k selects differently: no record
    assert "--fast-files" not in pytest_argv("", unit=False)
