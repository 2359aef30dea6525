"""One test cluster for the whole test session, started through `invoke cluster.up` only if none runs.

A cluster this session started is taken down at its end (by tests/cluster/test_teardown.py, which runs last
and proves `down` leaves nothing behind, or else by the session finalizer); one that was running before
the session is left as it was. Without root and the kube kit (or kind), the tests skip, or fail in CI.
The fixtures are shared by every test folder (tests/conftest.py), so the session has one ClusterSession.
"""

from __future__ import annotations

import pytest

from tasks.cluster import client, lifecycle
from tasks.cluster.client import Cluster
from tasks.cluster.progress import ClusterError
from tasks.image.debian_base import ensure_base
from tests.support.cluster_commands import cluster_task
from tests.support.needs import need


class ClusterSession:
    """Knows whether this session started the cluster, so it only ever takes down its own."""

    def __init__(self) -> None:
        self.started_here = False
        self.up_seconds: float | None = None

    def ensure(self) -> Cluster:
        cluster = client.running()
        if cluster is not None:
            return cluster
        try:
            lifecycle.preflight()
        except ClusterError as error:
            need("a test cluster", False, str(error))
        result = cluster_task("up", timeout=600)
        assert result.returncode == 0, f"invoke cluster.up failed:\n{result.stdout}\n{result.stderr}"
        self.started_here = True
        self.up_seconds = float(result.stdout.rsplit("cluster up (", 1)[1].split("s)", 1)[0])
        cluster = client.running()
        assert cluster is not None, f"cluster.up succeeded but no cluster runs:\n{result.stdout}"
        return cluster

    def claim(self) -> None:
        """For a test that starts the cluster by other means (the quick start's ./bin/up): if none runs now, the one
        running at the session's end is this session's to take down."""
        if client.running() is None:
            self.started_here = True

    def ensure_stack(self) -> Cluster:
        """The cluster, with what the dev overlay runs and skaffold builds on: the PostgreSQL/Redis
        images in its registry (`invoke cluster.up --datastores`) and the debootstrap base image."""
        cluster = self.ensure()
        result = cluster_task("up", "--datastores", timeout=900)
        assert result.returncode == 0, f"invoke cluster.up --datastores failed:\n{result.stdout}\n{result.stderr}"
        ensure_base(log=lambda _line: None)
        return cluster

    def finish(self) -> None:
        if self.started_here and client.running() is not None:
            result = cluster_task("down", timeout=300)
            assert result.returncode == 0, f"invoke cluster.down failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="session")
def cluster_session():
    session = ClusterSession()
    yield session
    session.finish()


@pytest.fixture
def cluster(cluster_session: ClusterSession) -> Cluster:
    """The running test cluster (started once per session; again only if a test took it down)."""
    return cluster_session.ensure()
