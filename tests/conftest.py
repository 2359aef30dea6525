import gc
import os

import pytest

from tests.support.auth_registry import auth_registry  # noqa: F401 - one registry with a login per session
from tests.support.cluster_session import (  # noqa: F401 - one test cluster for every folder and both workers
    cluster,
    cluster_session,
    pytest_runtest_teardown,
    pytest_sessionfinish,
)
from tests.support.lanes import misplaced, run_order
from tests.support.scenarios import (  # noqa: F401 - one reliability table
    pytest_runtest_logreport,
    pytest_terminal_summary,
    record,
)


@pytest.fixture(scope="session")
def migrated(tmp_path_factory):
    """The migrated database and collected static files every stack of this process copies (loopback_stack.py).
    Migrating and collecting took each stack 1.5 s of CPU; copying the database takes PostgreSQL a few hundredths."""
    from tests.support.loopback_stack import Migrated  # redis and psycopg2: imported where used, not by every run

    migrated = Migrated.make(f"shipyard_migrated_{os.getpid()}", tmp_path_factory.mktemp("migrated"))
    yield migrated
    migrated.drop()


@pytest.fixture
def stack(tmp_path, migrated):
    """An isolated stack on the shared services (database, Redis db, processes), torn down after the test."""
    from tests.support.loopback_stack import Stack

    # One database per test process, so parallel runs (or a leftover) never collide.
    stack = Stack(name=f"shipyard_e2e_{os.getpid()}", log_dir=tmp_path, migrated=migrated)
    stack.setup()
    yield stack
    stack.teardown()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # First of all: the quick start, from what a fresh machine has. In a fresh CI run nothing has built the base
    # image or started the cluster yet, so ./bin/up builds and starts them for real, once for the whole run; after
    # any other test, it would first take down the cluster and untag the base, and build both again (minutes).
    # The teardown test goes last of all: every other test may still use the cluster (lanes.py's run_order).
    items[:] = sorted(items, key=lambda item: run_order(item.nodeid))  # stable: else as collected
    # What cannot run beside another such test goes in a lane (tests/support/lanes.py), by path: the controller
    # that schedules sees test ids, not markers. So a test whose markers need a lane must be on its path.
    stray = [why for item in items if (why := misplaced(item.nodeid, {mark.name for mark in item.iter_markers()}))]
    if stray:
        raise pytest.UsageError("tests/support/lanes.py: LANES:\n  " + "\n  ".join(stray))


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    from tests.support.lane_scheduling import LaneScheduling  # xdist: imported only where it schedules

    return LaneScheduling(config, log)


@pytest.hookimpl(trylast=True)
def pytest_unconfigure() -> None:
    """Nothing is left to collect: what every test imported stays as it is until the process ends. Without this
    the interpreter's last garbage collections took each xdist worker 0.35 s to exit, and the controller waits
    for both before it reports."""
    gc.freeze()
