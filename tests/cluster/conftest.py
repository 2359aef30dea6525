"""The cluster tests run in one session with one test cluster (tests/support/cluster_session.py)."""

from __future__ import annotations

import pytest

TEARDOWN_MODULE = "test_teardown.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The teardown test goes last in the whole session: every other test may still use the cluster."""
    last = [item for item in items if item.path.name == TEARDOWN_MODULE]
    if last:
        items[:] = [item for item in items if item.path.name != TEARDOWN_MODULE] + last
