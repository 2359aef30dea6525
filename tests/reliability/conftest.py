"""Fault and load scenarios: each records what it did and saw; the run ends with their table."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tasks.bench import loadgen
from tasks.paths import ROOT
from tests import testenv
from tests.support.loopback_stack import Stack
from tests.support.servers import PrivatePostgres, PrivateRedis


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


def make_stack(tmp_path, **kwargs) -> Stack:
    stack = Stack(name=f"shipyard_rel_{os.getpid()}", log_dir=tmp_path, **kwargs)
    stack.setup()
    return stack


@pytest.fixture
def rstack(tmp_path, migrated):
    """A stack on the shared PostgreSQL and Redis (its own database and Redis db)."""
    stack = make_stack(tmp_path, redis_url=testenv.redis_url("reliability"), migrated=migrated)
    yield stack
    stack.teardown()


def load(url: str, count: int, concurrency: int = 20, bad: bool = False, seconds: float = 90) -> dict:
    """Run the load generator as a second process and return its summary."""
    argv = [
        sys.executable,
        str(loadgen.SCRIPT),
        "--url",
        url,
        "--count",
        str(count),
        "--concurrency",
        str(concurrency),
        "--seconds",
        str(seconds),
    ] + (["--bad"] if bad else [])
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
