"""docs/make-it-yours.md's renames, run as written on a copy of the project: afterwards nothing says shipyard or
analysis, the code is lint-clean, the app's tests pass against PostgreSQL and Redis, the manifests render under
the new name and the docs' links and paths still resolve."""

import os
import subprocess
import sys

import pytest

from tasks.devloop.scratch import scratch_copy
from tasks.paths import ROOT
from tests.support.doc_blocks import run_as_written, sh_blocks
from tests.testenv import databases_of_their_own

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
PAGE = ROOT / "docs" / "make-it-yours.md"


def test_the_rename_steps_leave_a_project_that_passes_under_its_new_names(tmp_path):
    copy = scratch_copy(tmp_path)
    # The test run's PostgreSQL user (making the new one is root's job), another database: this run's test database
    # is still open.
    env = {**os.environ, **databases_of_their_own(f"renamed_{os.getpid()}")}
    for block in sh_blocks(PAGE, "2. Rename"):
        run_as_written(block, copy, env)

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=copy, capture_output=True, text=True)

    assert git("grep", "-I", "-i", "-n", "shipyard").stdout == ""
    assert git("grep", "-I", "-i", "-n", "-w", "analysis").stdout == ""
    assert (copy / "app" / "reviews" / "templates" / "reviews" / "index.html").is_file()
    assert "class ReviewsConfig" in (copy / "app" / "reviews" / "apps.py").read_text()
    assert "REVIEWS_MAX_TEXT_CHARS" in (copy / "app" / "config" / "settings.py").read_text()

    ruff = copy / ".venv" / "bin" / "ruff"
    for check in ([str(ruff), "check", "."], [str(ruff), "format", "--check", "."]):
        linted = subprocess.run(check, cwd=copy, capture_output=True, text=True)
        assert linted.returncode == 0, linted.stdout + linted.stderr

    rendered = subprocess.run(
        [str(copy / ".venv" / "bin" / "invoke"), "k8s.render", "dev"],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert "app.kubernetes.io/name: acme" in rendered.stdout and "image: acme-app" in rendered.stdout

    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "app/", "tests/checks/test_docs.py"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-4000:] + tests.stderr[-2000:]
    summary = tests.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, summary
    print(summary)
