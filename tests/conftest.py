import os

import pytest

from tests.support.harness import cluster, harness  # noqa: F401 - one session-wide harness for every folder
from tests.support.scenarios import pytest_terminal_summary, record  # noqa: F401 - one reliability table
from tests.support.stack import Stack


@pytest.fixture
def stack(tmp_path, request):
    """An isolated stack on the shared services (database, Redis db, processes), torn down after the test."""
    # One database per test process, so parallel runs (or a leftover) never collide.
    stack = Stack(name=f"shipyard_e2e_{os.getpid()}", log_dir=tmp_path)
    stack.setup()
    yield stack
    stack.teardown()
