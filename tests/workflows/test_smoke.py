"""The kind workflow's smoke script, run here against the real stack on loopback (gunicorn, a
Celery worker, PostgreSQL, Redis): it passes when a job is done, and fails saying which step broke."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tasks.paths import ROOT
from tests.support.processes import free_port

SMOKE = ROOT / ".github" / "scripts" / "smoke.py"


def smoke(url: str, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SMOKE), url, "--timeout", str(timeout)],
        capture_output=True,
        text=True,
        timeout=timeout + 30,
    )


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_smoke_passes_when_web_and_a_worker_do_a_job(stack):
    _, url = stack.start_web()
    stack.start_worker()
    result = smoke(url, 60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("smoke: web ready, job ")
    assert "done by a worker (6 words)" in result.stdout
    assert [status for _, status, _ in stack.job_rows()] == ["done"]


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
def test_smoke_fails_when_no_worker_takes_the_job(stack):
    _, url = stack.start_web()
    result = smoke(url, 8)
    assert result.returncode == 1
    assert result.stderr.startswith("smoke: FAILED: job ")
    assert "done by a Celery worker: not within the time limit" in result.stderr


def test_smoke_fails_when_nothing_answers():
    result = smoke(f"http://127.0.0.1:{free_port()}", 3)
    assert result.returncode == 1
    assert result.stderr.startswith("smoke: FAILED: GET /healthz answers 200 (web is up): not within the time limit")
