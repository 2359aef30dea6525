import os

import pytest

from tests.support.harness import cluster, harness  # noqa: F401 - one session-wide harness for every folder
from tests.support.scenarios import (  # noqa: F401 - one reliability table
    pytest_runtest_logreport,
    pytest_terminal_summary,
    record,
)
from tests.support.stack import Stack


@pytest.fixture
def stack(tmp_path, request):
    """An isolated stack on the shared services (database, Redis db, processes), torn down after the test."""
    # One database per test process, so parallel runs (or a leftover) never collide.
    stack = Stack(name=f"shipyard_e2e_{os.getpid()}", log_dir=tmp_path)
    stack.setup()
    yield stack
    stack.teardown()


# What cannot run beside another such test, so pytest-xdist gives them all to one worker, in order: the one
# Docker engine and its fixed ports, the one cluster, and the folders that start services or the whole loop.
ONE_AT_A_TIME_MARKERS = {"docker", "cluster", "host_ports"}
ONE_AT_A_TIME_FOLDERS = ("tests/bench/", "tests/quickstart/", "tests/services/")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marks = {mark.name for mark in item.iter_markers()}
        if marks & ONE_AT_A_TIME_MARKERS or item.nodeid.startswith(ONE_AT_A_TIME_FOLDERS):
            item.add_marker(pytest.mark.xdist_group("one-at-a-time"))
