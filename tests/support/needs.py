"""Gate tests on real services: skip on a laptop that lacks one, fail in CI.

In CI (CI=true) a missing service means a broken install step, so hiding it behind a skip
would let the suite pass without testing anything.
"""

from __future__ import annotations

import os

import pytest

from tasks.reach import docker_running, port_open


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def need(what: str, available: bool, fix: str) -> None:
    """Skip (locally) or fail (in CI) when `what` is not available."""
    if available:
        return
    message = f"{what} is not available: {fix}"
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def need_docker() -> None:
    need("Docker", docker_running(), "run ./bin/test or `invoke services.start` (starts dockerd)")


def need_postgres() -> None:
    need("PostgreSQL on 127.0.0.1:5432", port_open("127.0.0.1", 5432), "run ./bin/test or `invoke services.start`")


def need_redis() -> None:
    need("Redis on 127.0.0.1:6379", port_open("127.0.0.1", 6379), "run ./bin/test or `invoke services.start`")
