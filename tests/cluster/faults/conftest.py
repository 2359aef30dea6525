"""One fault stack for the scenarios in this folder: built and deployed once, its namespace deleted after."""

from __future__ import annotations

import pytest

from tasks.devloop.scratch import scratch_copy
from tests.cluster.commands import delete_namespace, restricted_namespace
from tests.cluster.faults.fault_stack import FaultStack, build, mark
from tests.support.cluster_session import heavy_stack


@pytest.fixture(scope="package")
def faults(cluster_session, tmp_path_factory) -> FaultStack:
    cluster = cluster_session.ensure_stack()
    copy = scratch_copy(tmp_path_factory.mktemp("faults"))
    image_a = build(cluster, copy, copy.parent / "a.json")
    mark(copy)
    image_b = build(cluster, copy, copy.parent / "b.json")
    with heavy_stack("the fault stack"):
        stack = FaultStack(cluster, restricted_namespace(cluster, "faults"), {"a": image_a, "b": image_b})
        stack.deploy()
        yield stack
        delete_namespace(cluster, stack.namespace)
