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


def waits_for(path, other_mode: int, mode: int, what: str) -> None:
    """While another process holds PATH in OTHER_MODE, taking it in MODE waits, then fails naming WHAT."""
    other = other_process_holds(path, other_mode)
    try:
        with pytest.raises(pytest.fail.Exception, match=f"waited 0s for {what}"):
            sessions._lock(path, mode, what, seconds=0.1)
    finally:
        let_go(other)


def test_the_teardown_waits_until_the_other_worker_no_longer_uses_the_cluster(files):
    waits_for(sessions.IN_USE, fcntl.LOCK_SH, fcntl.LOCK_EX, "the other worker")
    session = ClusterSession()
    session.hold()
    session.sole_user()  # its own shared hold made exclusive: no other process holds one now
    probe = f"import fcntl; fcntl.flock(open({str(sessions.IN_USE)!r}, 'a'), {fcntl.LOCK_SH | fcntl.LOCK_NB})"
    blocked = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert "BlockingIOError" in blocked.stderr  # a shared hold, not waited for, is refused: held exclusively now
    session.release()


def test_a_worker_that_uses_the_cluster_waits_while_a_teardown_holds_it(files):
    waits_for(sessions.IN_USE, fcntl.LOCK_EX, fcntl.LOCK_SH, "a teardown")
    ClusterSession().hold()


def test_the_heavy_stacks_take_turns(files):
    waits_for(sessions.HEAVY_STACK, fcntl.LOCK_EX, fcntl.LOCK_EX, "the fault stack")
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
