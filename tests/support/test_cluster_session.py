"""What the two workers share of the test cluster: which run started it, who still uses it, and the heavy stacks'
turns (tests/support/cluster_session.py), with the lock files in a folder of the test's own."""

from __future__ import annotations

import fcntl
import subprocess
import sys

import pytest

from tests.support import cluster_session as sessions
from tests.support.cluster_session import ClusterSession

# A second test process that holds PATH's flock in MODE until its stdin closes.
HOLDER = (
    "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, int(sys.argv[2])); "
    "print('held', flush=True); sys.stdin.read()"
)


@pytest.fixture
def files(tmp_path, monkeypatch):
    for name in ("OWNER", "IN_USE", "HEAVY_STACK"):
        monkeypatch.setattr(sessions, name, tmp_path / name.lower())
    return tmp_path


def other_process_holds(path, mode: int) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), str(mode)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline() == "held\n"
    return holder


def let_go(holder: subprocess.Popen) -> None:
    holder.stdin.close()
    holder.wait(10)


def test_the_teardown_waits_until_the_other_worker_no_longer_uses_the_cluster(files):
    other = other_process_holds(sessions.IN_USE, fcntl.LOCK_SH)
    session = ClusterSession()
    session.hold()  # a shared hold beside the other worker's
    try:
        with pytest.raises(pytest.fail.Exception, match="waited 0s for the other"):
            session._in_use = sessions._lock(sessions.IN_USE, fcntl.LOCK_EX, "the other", seconds=0.1)
    finally:
        let_go(other)
    session.sole_user()
    blocked = subprocess.run(
        [sys.executable, "-c", f"import fcntl; fcntl.flock(open({str(sessions.IN_USE)!r}, 'a'), 5)"],
        capture_output=True,
        text=True,
    )
    assert "BlockingIOError" in blocked.stderr  # LOCK_SH | LOCK_NB: held exclusively now
    session.release()


def test_a_worker_that_uses_the_cluster_waits_while_a_teardown_holds_it(files):
    teardown = other_process_holds(sessions.IN_USE, fcntl.LOCK_EX)
    try:
        with pytest.raises(pytest.fail.Exception, match="a teardown of the test cluster to end"):
            sessions._lock(sessions.IN_USE, fcntl.LOCK_SH, "a teardown of the test cluster to end", seconds=0.1)
    finally:
        let_go(teardown)
    ClusterSession().hold()


def test_the_heavy_stacks_take_turns(files):
    other = other_process_holds(sessions.HEAVY_STACK, fcntl.LOCK_EX)
    try:
        with pytest.raises(pytest.fail.Exception, match="waited 0s for the"):
            sessions._lock(sessions.HEAVY_STACK, fcntl.LOCK_EX, "the fault stack", seconds=0.1)
    finally:
        let_go(other)
    with sessions.heavy_stack("the fault stack"):
        pass


def test_the_run_that_started_the_cluster_is_its_owner_in_every_worker(files, monkeypatch):
    monkeypatch.setenv(sessions.RUN, "run-a")
    ClusterSession().started_here = True
    assert ClusterSession().started_here  # another worker of the same run
    monkeypatch.setenv(sessions.RUN, "run-b")
    assert not ClusterSession().started_here  # a later run never takes down what run-a started


def test_a_cluster_the_other_worker_started_meanwhile_is_not_this_ones(files, monkeypatch):
    monkeypatch.setenv(sessions.RUN, "run-a")
    running = iter([None, object()])
    monkeypatch.setattr(sessions.client, "running", lambda: next(running))
    monkeypatch.setattr(sessions.lifecycle, "preflight", lambda: "binaries")
    already = "cluster already running, nothing to do (0.2s): binaries, context shipyard-test"
    monkeypatch.setattr(
        sessions, "cluster_task", lambda *args, **kw: subprocess.CompletedProcess(args, 0, already + "\n", "")
    )
    session = ClusterSession()
    session.ensure()
    assert not session.started_here and session.up_seconds is None
    session.release()
