import gc
import os

import pytest

from tests.support.auth_registry import auth_registry  # noqa: F401 - one registry with a login per session
from tests.support.cluster_session import cluster, cluster_session  # noqa: F401 - one test cluster for every folder
from tests.support.scenarios import (  # noqa: F401 - one reliability table
    pytest_runtest_logreport,
    pytest_terminal_summary,
    record,
)


@pytest.fixture
def stack(tmp_path, request):
    """An isolated stack on the shared services (database, Redis db, processes), torn down after the test."""
    from tests.support.loopback_stack import Stack  # redis and psycopg2: imported where used, not by every run

    # One database per test process, so parallel runs (or a leftover) never collide.
    stack = Stack(name=f"shipyard_e2e_{os.getpid()}", log_dir=tmp_path)
    stack.setup()
    yield stack
    stack.teardown()


# What cannot run beside another such test, so pytest-xdist gives it all to one worker, in order: the one
# Docker engine and its fixed ports, the one cluster, and the folders that start services or the whole loop.
# By path, since the controller that schedules sees test ids, not markers; collection checks that every test
# with such a marker is on one of these paths.
ONE_AT_A_TIME_MARKERS = {"docker", "cluster", "host_ports"}
ONE_AT_A_TIME_PATHS = (
    "tests/bench/",
    "tests/cluster/",
    "tests/containers/",
    "tests/image/",
    "tests/quickstart/",
    "tests/services/",
    "tests/checks/test_args.py",
    "tests/devloop/test_doctor.py",
    "testcluster/tests/",
)


# First of all: the quick start, from what a fresh machine has. In a fresh CI run nothing has built the base image
# or started the cluster yet, so ./bin/up builds and starts them for real, once for the whole run; after any
# other test, it would first take down the cluster and untag the base, and build both again (minutes).
FIRST_PATHS = ("tests/quickstart/",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items[:] = sorted(items, key=lambda item: not item.nodeid.startswith(FIRST_PATHS))  # stable: else as collected
    stray = [
        item.nodeid
        for item in items
        if {mark.name for mark in item.iter_markers()} & ONE_AT_A_TIME_MARKERS
        and not item.nodeid.startswith(ONE_AT_A_TIME_PATHS)
    ]
    if stray:
        raise pytest.UsageError(
            "tests that need the machine to themselves must be in a file of ONE_AT_A_TIME_PATHS "
            "(tests/conftest.py):\n  " + "\n  ".join(stray)
        )


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    from xdist.scheduler import LoadScopeScheduling

    class OneAtATime(LoadScopeScheduling):
        """Each test is a scope of its own, but for those that need the machine to themselves: one scope."""

        def _split_scope(self, nodeid: str) -> str:
            return "one-at-a-time" if nodeid.startswith(ONE_AT_A_TIME_PATHS) else nodeid

    return OneAtATime(config, log)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure() -> None:
    """Nothing is left to collect: what every test imported stays as it is until the process ends. Without this
    the interpreter's last garbage collections took each xdist worker 0.35 s to exit, and the controller waits
    for both before it reports."""
    gc.freeze()
