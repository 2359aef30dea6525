"""Arguments reach pytest exactly as typed: through ./bin/test and through `invoke test`."""

from __future__ import annotations

import os
import subprocess

import pytest

from tasks.checks.pytest_run import pytest_argv
from tasks.paths import ROOT
from tests.checks.cli import invoke

# A marker expression with spaces: split on them it would name files 'not' and 'docker'.
SAMPLE = "tests/checks/test_args.py"


def test_quoted_words_stay_whole():
    argv = pytest_argv("-m 'not docker and not k8s' -k \"a b\"", unit=False)
    assert argv[-4:] == ["-m", "not docker and not k8s", "-k", "a b"]


# ./bin/test starts PostgreSQL, Redis and dockerd before pytest (bin/setup --services): not a fast test.
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.docker
def test_bin_test_passes_a_quoted_marker_expression_through(tmp_path):
    result = subprocess.run(
        ["./bin/test", "-m", "not docker and not slow", "--collect-only", "-q", SAMPLE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    collected = [line for line in result.stdout.splitlines() if line.startswith(SAMPLE + "::")]
    assert f"{SAMPLE}::test_quoted_words_stay_whole" in collected
    assert "file or directory not found" not in result.stdout + result.stderr


def test_an_unclosed_quote_is_one_line_and_runs_nothing():
    result = invoke("test", "--args", "-m 'not docker", timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith('test --args "-m \'not docker": No closing quotation; quote each argument once')


def test_the_whole_suite_and_all_fast_tests_run_side_by_side_and_a_chosen_part_in_one_process():
    several = (os.cpu_count() or 1) > 1
    assert pytest_argv("", unit=False)[3:] == (["-n", "3"] if several else [])
    fast = pytest_argv("", unit=True)
    assert fast[fast.index("--fast-files") + 2 :] == (["-n", "2"] if several else [])
    assert "-n" not in pytest_argv("app/", unit=False)
    assert "-n" not in pytest_argv("tests/shared", unit=True)
