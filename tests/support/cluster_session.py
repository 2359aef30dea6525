"""One test cluster for the whole test run, started through `invoke cluster.up` only if none runs.

A cluster this run started is taken down at its end (by tests/cluster/test_teardown.py, which runs last and
proves `down` leaves nothing behind, or else when the run ends); one that was running before the run is left
as it was. Without root and the kube kit (or kind), the tests skip, or fail in CI.

pytest-xdist's workers share the cluster (tests/support/lanes.py), so what one must know of the others is
kept in files under .state, not in the process:
- which run started the cluster (OWNER holds the run's id, which the workers inherit from the controller);
- who uses it: each worker holds IN_USE shared while its tests need the cluster, and the teardown takes it
  exclusively, so the cluster goes down only once no other worker's test is on it;
- HEAVY_STACK: the two developers' loops and the fault and monitoring stacks ask for more CPU together than the
  node has (their pods would wait unscheduled), so they take turns.
The fixtures are shared by every test folder (tests/conftest.py), so each test process has one ClusterSession.
"""

from __future__ import annotations

import fcntl
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest

from tasks.cluster import client, lifecycle
from tasks.cluster.client import Cluster
from tasks.cluster.progress import ClusterError
from tasks.image.debian_base import ensure_base
from tasks.paths import STATE
from tasks.shared import file_lock
from tests.support.cluster_commands import cluster_task
from tests.support.needs import need
from tests.testenv import xdist_controller

RUN = "SHIPYARD_TEST_RUN"
os.environ.setdefault(RUN, uuid.uuid4().hex)  # before pytest-xdist starts its workers, which inherit it
OWNER = STATE / "test-cluster-owner"
IN_USE = STATE / "test-cluster-in-use.lock"
HEAVY_STACK = STATE / "test-cluster-heavy-stack.lock"
WAIT_SECONDS = 1500  # the longest the other workers' cluster tests could still run


def _lock(path: Path, mode: int, what: str, seconds: float = WAIT_SECONDS, held: IO | None = None) -> IO:
    """PATH's flock in MODE (fcntl.LOCK_SH or LOCK_EX), waited for up to SECONDS; the open file holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    file = held or open(path, "a")  # noqa: SIM115 - the lock lasts as long as the file stays open
    if not file_lock.acquire(file, mode, seconds):
        file.close()
        pytest.fail(f"waited {seconds:.0f}s for {what} ({path}): is another test run still going?")
    return file


@contextmanager
def heavy_stack(what: str) -> Iterator[None]:
    """Hold the node's CPU for WHAT, one of the stacks that do not fit on it beside each other."""
    held = _lock(HEAVY_STACK, fcntl.LOCK_EX, f"the other heavy stack to end before {what}")
    try:
        yield
    finally:
        held.close()


class ClusterSession:
    """Knows whether this run started the cluster, so it only ever takes down its own, and only once no other
    test process is using it."""

    def __init__(self) -> None:
        self.up_seconds: float | None = None
        self._in_use: IO | None = None  # IN_USE, held shared while this process's tests need the cluster

    @property
    def started_here(self) -> bool:
        return OWNER.is_file() and OWNER.read_text() == os.environ[RUN]

    @started_here.setter
    def started_here(self, value: bool) -> None:
        if value:
            OWNER.parent.mkdir(parents=True, exist_ok=True)
            OWNER.write_text(os.environ[RUN])
        else:
            OWNER.unlink(missing_ok=True)

    def hold(self) -> None:
        """In use by this process's tests (it waits while a teardown holds the cluster)."""
        if self._in_use is None:
            self._in_use = _lock(IN_USE, fcntl.LOCK_SH, "a teardown of the test cluster to end")

    def release(self) -> None:
        if self._in_use is not None:
            self._in_use.close()
            self._in_use = None

    def sole_user(self) -> None:
        """Wait until no other test process uses the cluster, then keep it this process's alone."""
        self._in_use = _lock(
            IN_USE, fcntl.LOCK_EX, "the other test process to finish with the cluster", held=self._in_use
        )

    def ensure(self) -> Cluster:
        self.hold()
        cluster = client.running()
        if cluster is not None:
            return cluster
        try:
            lifecycle.preflight()
        except ClusterError as error:
            need("a test cluster", False, str(error))
        result = cluster_task("up", timeout=600)
        assert result.returncode == 0, f"invoke cluster.up failed:\n{result.stdout}\n{result.stderr}"
        if "cluster up (" in result.stdout:  # else the other worker started it meanwhile: "already running"
            self.started_here = True
            self.up_seconds = float(result.stdout.rsplit("cluster up (", 1)[1].split("s)", 1)[0])
        cluster = client.running()
        assert cluster is not None, f"cluster.up succeeded but no cluster runs:\n{result.stdout}"
        return cluster

    def claim(self) -> None:
        """For a test that starts the cluster by other means (the quick start's ./bin/up): if none runs now, the one
        running at the run's end is this run's to take down."""
        self.hold()
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
        """At the run's end: take down the cluster this run started, if the teardown test did not."""
        if self.started_here and client.running() is not None:
            self.sole_user()
            result = cluster_task("down", timeout=300)
            assert result.returncode == 0, f"invoke cluster.down failed:\n{result.stdout}\n{result.stderr}"
        self.release()


_sessions: list[ClusterSession] = []  # this process's, once a test asked for it


@pytest.fixture(scope="session")
def cluster_session():
    session = ClusterSession()
    _sessions.append(session)
    yield session
    if "PYTEST_XDIST_WORKER" in os.environ:
        session.release()  # the controller takes the cluster down once every worker is done
    else:
        session.finish()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """Once this process's next test needs no cluster, it no longer holds it in use (after the fixtures that
    end with this test, the fault stack's namespace deleted say, have ended)."""
    yield
    if _sessions and (nextitem is None or "cluster_session" not in nextitem.fixturenames):
        _sessions[0].release()


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """pytest-xdist's controller, after every worker ended: the cluster this run started, if still up, goes down."""
    if xdist_controller(session.config.option):
        ClusterSession().finish()


@pytest.fixture
def cluster(cluster_session: ClusterSession) -> Cluster:
    """The running test cluster (started once per session; again only if a test took it down)."""
    return cluster_session.ensure()
