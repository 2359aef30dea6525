"""app/devtools/devworker.py: Celery's worker and beat restarted by forking a warm parent, run for real on
PostgreSQL and Redis. Jobs go through a real gunicorn; the worker runs a copy of app/ that the tests edit."""

import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tasks.bench.reload import TASK_FILE, task_edit
from tasks.paths import APP
from tests.devloop.app_copy import AppCopy
from tests.support.jobs import finished, job, submit
from tests.support.processes import children, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

# The dev overlay's worker (k8s/overlays/dev/worker-command.yaml).
WORKER = [
    "-m",
    "celery",
    "--app",
    "config",
    "worker",
    "--loglevel",
    "INFO",
    "--pool",
    "solo",
    "--without-mingle",
    "--without-gossip",
]
WATCHER_SETTLE_SECONDS = 0.5  # the child's file watcher starts in a thread beside the program


class DevWorker(AppCopy):
    def __init__(self, stack, tmp_path: Path, argv: list[str], ready: str, **env: str):
        super().__init__(tmp_path)
        self.ready = ready
        argv = [sys.executable, "-m", "devtools.devworker", *argv]
        self.process = stack.start("devworker", argv, cwd=self.app, **env)
        self.wait_ready(1)
        time.sleep(WATCHER_SETTLE_SECONDS)

    @property
    def pid(self) -> int:
        return self.process.popen.pid

    def starts(self) -> int:
        return self.process.log().count(self.ready)

    def wait_ready(self, count: int, what: str = "the program to be ready") -> None:
        wait_until(what, lambda: self.starts() >= count or self.process.popen.poll() is not None, 60, 0.05)
        assert self.process.popen.poll() is None, f"devworker exited:\n{self.process.log()}"

    def edit_task(self) -> str:
        token = uuid.uuid4().hex[:8]
        self.write(task_edit(token))  # the bench's edit
        return token


@pytest.fixture
def web(stack) -> str:
    _, url = stack.start_web()
    return url


@pytest.fixture
def worker(stack, tmp_path, web):
    return DevWorker(stack, tmp_path, WORKER, " ready.")


def test_an_edit_is_run_by_a_new_child_forked_from_the_same_parent(worker, web):
    (first,) = children(worker.pid)
    assert "edit" not in finished(web, submit(web))["result"]

    token = worker.edit_task()
    worker.wait_ready(2, "the restarted worker")

    assert finished(web, submit(web))["result"]["edit"] == token
    assert worker.process.popen.poll() is None
    (second,) = children(worker.pid)
    assert second != first
    log = worker.process.log()
    assert f"devworker: {worker.app / TASK_FILE} changed, restarting" in log
    assert "Warm shutdown" in log  # Celery's own SIGTERM handling, as kubelet's would be


def test_a_running_task_finishes_in_the_old_child_before_the_new_one_starts(stack, tmp_path, web):
    worker = DevWorker(stack, tmp_path, WORKER, " ready.", ANALYSIS_DELAY_SECONDS="3")
    job_id = submit(web)
    wait_until("the job to start", lambda: job(web, job_id)["status"] == "running", 30, 0.05)

    token = worker.edit_task()
    worker.wait_ready(2, "the restarted worker")

    ended = finished(web, job_id)
    assert ended["status"] == "done" and "edit" not in ended["result"]  # the old code ran it, to the end
    assert [row[1:] for row in stack.job_rows()] == [("done", 1)]  # once: not cut off and redelivered
    log = worker.process.log()
    assert log.index("succeeded") < log.rindex(" ready.")
    assert finished(web, submit(web))["result"]["edit"] == token


def test_broken_code_keeps_the_parent_up_and_the_fix_is_run(worker, web):
    worker.edit(TASK_FILE, "def analyse(", "def analyse(:")
    wait_until("the child to wait for a fix", lambda: "waiting for a change" in worker.process.log(), 30, 0.05)
    assert "SyntaxError" in worker.process.log()
    assert worker.process.popen.poll() is None

    worker.edit(TASK_FILE, "def analyse(:", "def analyse(")
    worker.wait_ready(2, "the fixed worker")
    assert finished(web, submit(web))["status"] == "done"


def test_sigterm_stops_parent_and_child(worker):
    (child,) = children(worker.pid)
    worker.process.signal(signal.SIGTERM)
    assert worker.process.wait(timeout=20) == 0
    assert not Path(f"/proc/{child}").exists()
    assert "Warm shutdown" in worker.process.log()


def test_sigterm_stops_a_child_that_waits_for_a_fix(worker):
    worker.edit(TASK_FILE, "def analyse(", "def analyse(:")
    wait_until("the child to wait for a fix", lambda: "waiting for a change" in worker.process.log(), 30, 0.05)
    worker.process.signal(signal.SIGTERM)
    assert worker.process.wait(timeout=10) == 0
    assert not children(worker.pid)


def test_an_edit_to_a_file_the_parent_holds_restarts_the_parent_with_the_new_code(worker):
    worker.edit("devtools/devworker.py", "libraries imported once", "libraries (edited) imported once")
    wait_until("the parent to restart itself", lambda: "devworker: libraries (edited)" in worker.process.log(), 30)
    assert "devworker.py changed; restarting with fresh libraries" in worker.process.log()
    worker.wait_ready(2, "the worker forked by the restarted parent")
    assert worker.process.popen.poll() is None  # exec'd in place: the container's PID 1 stays


def test_beat_restarts_on_an_edit_with_the_same_parent(stack, tmp_path):
    beat = DevWorker(stack, tmp_path, ["-m", "config.beat"], "beat: Starting...")
    (first,) = children(beat.pid)
    beat.edit_task()
    beat.wait_ready(2, "beat to start again")
    (second,) = children(beat.pid)
    assert second != first


def test_a_missing_module_is_one_clear_line():
    argv = [sys.executable, "-m", "devtools.devworker", "celery", "worker"]
    result = subprocess.run(argv, cwd=APP, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "devworker: give the module to run, as python -m takes it: python -m devtools.devworker -m MODULE [args]"
    ]
