"""What a test needs is said once, by its markers; this plugin makes sure it is there.

A test marked `postgres`, `redis` or `docker` checks that service before it runs: on a laptop
that lacks it the test is skipped, in CI (CI=true) it fails, because there a missing service
means a broken install step and a skip would let the suite pass without testing anything.
Fixtures that use a service name it in FIXTURE_NEEDS, so a test that uses one without the
marker is refused at collection instead of silently depending on it.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from tasks.services.daemons import PG_PORT, REDIS_PORT
from tasks.services.reach import docker_running, port_open

START = "run ./bin/test or `invoke services.start`"
# marker -> (what, is it there?, how to fix)
SERVICES: dict[str, tuple[str, Callable[[], bool], str]] = {
    "postgres": (f"PostgreSQL on 127.0.0.1:{PG_PORT}", lambda: port_open("127.0.0.1", PG_PORT), START),
    "redis": (f"Redis on 127.0.0.1:{REDIS_PORT}", lambda: port_open("127.0.0.1", REDIS_PORT), START),
    "docker": ("Docker", docker_running, f"{START} (starts dockerd)"),
}
# fixture -> the markers a test using it must carry
FIXTURE_NEEDS: dict[str, tuple[str, ...]] = {
    "stack": ("postgres", "redis"),
    "rstack": ("postgres", "redis"),
    "private_postgres": ("postgres",),
    "private_redis": ("redis",),
    "datastores": ("postgres", "redis"),
    "pods": ("docker", "postgres", "redis"),
    "base_image": ("docker",),
    "dev_image": ("docker",),
    "prod_image": ("docker",),
    "cluster": ("cluster",),
    "auth_registry": ("cluster", "docker"),  # for the cluster to pull from; docker login and push use the engine
    "broker": ("redis",),
    # A marker, not a fixture: pytest-django's test database.
    "django_db": ("postgres",),
}
_seen_up: set[str] = set()  # a service seen up stays trusted for the run: checking docker costs ~0.1 s


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    missing = []
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        for fixture, wanted in FIXTURE_NEEDS.items():
            lacking = [m for m in wanted if m not in marks]
            if (fixture in getattr(item, "fixturenames", ()) or fixture in marks) and lacking:
                missing.append(f"{item.nodeid} uses {fixture!r}: mark it {', '.join(lacking)}")
    if missing:
        raise pytest.UsageError("tests that use a service must say so with markers:\n  " + "\n  ".join(missing))


@pytest.hookimpl(tryfirst=True)  # before fixtures start using the service
def pytest_runtest_setup(item: pytest.Item) -> None:
    for mark in item.iter_markers():
        if mark.name in SERVICES and mark.name not in _seen_up:
            what, available, fix = SERVICES[mark.name]
            up = available()
            if up:
                _seen_up.add(mark.name)
            need(what, up, fix)
