"""Fault and load scenarios: each records what it did and saw; the run ends with their table."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tasks.bench import loadgen
from tasks.paths import ROOT
from tests.support.servers import PrivatePostgres, PrivateRedis
from tests.support.stack import Stack

RESULTS: list[dict] = []


@pytest.fixture
def record(request):
    """record(action, checks, **numbers): one row of the reliability table."""

    def add(action: str, checks: str, **numbers: int) -> None:
        RESULTS.append({"scenario": request.node.name, "done": action, "checked": checks, "numbers": numbers})

    return add


def pytest_terminal_summary(terminalreporter) -> None:
    if not RESULTS:
        return
    terminalreporter.section("reliability scenarios")
    for row in RESULTS:
        numbers = ", ".join(f"{k}={v}" for k, v in row["numbers"].items())
        terminalreporter.write_line(f"{row['scenario']}: {row['done']} | {row['checked']} | {numbers}")
    out = ROOT / ".state" / "reliability.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(RESULTS, indent=2))


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_postgres():
    server = PrivatePostgres()
    server.init()
    server.start()
    yield server
    server.remove()


def tally(rows: list[tuple[str, str, int]], accepted: list[str]) -> dict[str, int]:
    """Count, from the job rows in PostgreSQL, what happened to the accepted jobs."""
    by_id = {job_id: (status, attempts) for job_id, status, attempts in rows}
    done = [job_id for job_id in accepted if by_id.get(job_id, ("", 0))[0] == "done"]
    return {
        "accepted": len(accepted),
        "rows": len(rows),
        "done": len(done),
        "redelivered": sum(1 for _, attempts in by_id.values() if attempts > 1),
        "lost": len(accepted) - len(done),
    }


def make_stack(tmp_path, **kwargs) -> Stack:
    stack = Stack(name=f"shipyard_rel_{os.getpid()}", log_dir=tmp_path, **kwargs)
    stack.setup()
    return stack


@pytest.fixture
def rstack(tmp_path):
    """A stack on the shared PostgreSQL and Redis (its own database and Redis db)."""
    stack = make_stack(tmp_path, redis_url="redis://127.0.0.1:6379/3")
    yield stack
    stack.teardown()


def load(url: str, count: int, concurrency: int = 20, bad: bool = False, seconds: float = 90) -> dict:
    """Run the load generator as a second process and return its summary."""
    argv = [sys.executable, str(loadgen.SCRIPT), "--url", url, "--count", str(count),
            "--concurrency", str(concurrency), "--seconds", str(seconds)] + (["--bad"] if bad else [])  # fmt: skip
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
