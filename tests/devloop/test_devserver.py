"""app/devtools/devserver.py: runserver restarted by forking a warm parent, run for real on PostgreSQL.

Each test runs the dev server on a copy of app/, edits that copy as an editor (or a sync)
would, and watches what serves the next request.
"""

import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from tasks.bench.reload import VIEW_FILE, view_edit
from tasks.paths import APP
from tests.devloop.app_copy import AppCopy
from tests.support import model_change
from tests.support.dap import DapSession
from tests.support.processes import children, free_port, saved_until, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

# runserver answers before its file watcher is watching: an edit in that first moment is missed.
WATCHER_SETTLE_SECONDS = 1.5
RESAVE_SECONDS = 1.5


class DevServer(AppCopy):
    def __init__(self, stack, tmp_path: Path, debugpy_port: int | None = None, **env: str):
        super().__init__(tmp_path)
        self.url = f"http://127.0.0.1:{free_port()}"
        debugpy = ["-m", "debugpy", "--listen", f"127.0.0.1:{debugpy_port}"] if debugpy_port else []
        argv = [sys.executable, *debugpy, "-m", "devtools.devserver", self.url.removeprefix("http://")]
        self.process = stack.start("devserver", argv, cwd=self.app, DEBUG="true", **env)
        self.wait_serving()
        time.sleep(WATCHER_SETTLE_SECONDS)

    def jobs(self, timeout: float = 2) -> dict | None:
        try:
            return requests.get(f"{self.url}/api/jobs", timeout=timeout).json()
        except (requests.RequestException, ValueError):
            return None

    def wait_serving(self, what: str = "the dev server to answer") -> None:
        wait_until(what, lambda: self.jobs() is not None or self.process.popen.poll() is not None, 60, 0.05)
        assert self.process.popen.poll() is None, f"devserver exited:\n{self.process.log()}"

    def edit_view(self) -> str:
        token = uuid.uuid4().hex[:8]
        self.write(view_edit(token))  # the bench's edit
        return token

    def served(self, token: str) -> bool:
        return (self.jobs() or {}).get("edit") == token

    def serve_edit(self) -> str:
        """The bench's view edit, saved again every RESAVE_SECONDS until it is served. A new child's file
        watcher registers its directories (the venv's too) a while after it answers, longer on a loaded
        machine: a save before that is missed, as in the dev loop right after a start."""
        token = uuid.uuid4().hex[:8]
        save = lambda: self.write(view_edit(token))  # noqa: E731
        saved_until("the edited view to be served", save, lambda: self.served(token), 30, RESAVE_SECONDS, 0.05)
        return token


@pytest.fixture
def devserver(stack, tmp_path):
    return DevServer(stack, tmp_path)


def test_an_edit_is_served_by_a_new_child_forked_from_the_same_parent(devserver):
    parent = devserver.process.popen.pid
    first_child = children(parent)
    assert len(first_child) == 1

    devserver.serve_edit()

    assert devserver.process.popen.poll() is None
    second_child = children(parent)
    assert len(second_child) == 1 and second_child != first_child
    assert "changed, reloading" in devserver.process.log()


def test_the_port_never_refuses_a_connection_during_a_reload(devserver):
    # The parent's socket outlives each child: a request in the gap waits for the next child. A refusal
    # would also end `kubectl port-forward`, and the dev loop's forward with it.
    host, port = devserver.url.removeprefix("http://").split(":")
    refused, answered, stop = [], [], threading.Event()

    def knock() -> None:
        while not stop.is_set():
            try:
                with socket.create_connection((host, int(port)), timeout=5) as conn:
                    conn.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
                    answered.append(conn.recv(12))
            except ConnectionRefusedError:
                refused.append(time.monotonic())
            time.sleep(0.005)

    with ThreadPoolExecutor(max_workers=1) as pool:
        knocking = pool.submit(knock)
        for _ in range(3):
            devserver.serve_edit()
            time.sleep(WATCHER_SETTLE_SECONDS)
        stop.set()
        knocking.result(timeout=30)
    assert "changed, reloading" in devserver.process.log()
    assert refused == []
    assert answered and set(answered) == {b"HTTP/1.1 200"}


def test_an_idle_connection_does_not_hold_a_reload_back(devserver):
    # A browser keeps a preconnected socket open without a request: the old child must not wait for it
    # (up to its 5 s drain bound), while a request already sent on a fresh connection is answered.
    host, port = devserver.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as idle:
        time.sleep(0.2)  # accepted by the child
        devserver.serve_edit()
        # Had the old child waited for the idle connection, its drain would have run out and said so.
        assert "changed, reloading" in devserver.process.log()
        assert "gave up draining" not in devserver.process.log()
        assert idle.recv(1) == b""  # closed cleanly by the old child, not reset


def listings_counted(metrics_url: str) -> float:
    """shipyard_http_requests_total for GET /api/jobs answered 200, as the metrics port serves it now."""
    text = requests.get(metrics_url, timeout=5).text
    wanted = {"view": "api-jobs", "method": "GET", "status": "200"}
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "shipyard_http_requests_total" and sample.labels == wanted
    )


def test_metrics_are_served_by_each_child_and_keep_counting_across_reloads(stack, tmp_path):
    port = free_port()
    metrics = {"METRICS_PORT": str(port), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    devserver = DevServer(stack, tmp_path, **metrics)
    metrics_url = f"http://127.0.0.1:{port}/metrics"
    for _ in range(30):
        assert devserver.jobs() is not None
    before = listings_counted(metrics_url)
    assert before >= 31  # and wait_serving's

    devserver.serve_edit()
    # Served by the new child, which answered one or two listings itself: the old child's counts are kept.
    after_reload = listings_counted(metrics_url)
    assert after_reload > before
    # A resave serve_edit made may still be reloading the server: these requests wait in the parent's
    # socket for the next child, which takes longer than jobs()'s 2 s on a loaded machine.
    for _ in range(3):
        assert devserver.jobs(timeout=30) is not None, devserver.process.log()
    assert listings_counted(metrics_url) == after_reload + 3


def test_a_taken_port_is_one_clear_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = [sys.executable, "-m", "devtools.devserver", f"127.0.0.1:{port}"]
        result = subprocess.run(argv, cwd=APP, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(f"devserver: cannot listen on 127.0.0.1:{port}: ")


def test_an_edit_to_a_file_the_parent_holds_restarts_the_parent_with_the_new_code(devserver):
    parent = devserver.process.popen.pid
    devserver.edit("devtools/devserver.py", "libraries imported once", "libraries (edited) imported once")
    # The child's watcher, which ends it so that the parent looks, may start after the first save (a CI miss).
    edited = devserver.app / "devtools/devserver.py"
    restarted = lambda: "devserver: libraries (edited)" in devserver.process.log()  # noqa: E731
    saved_until(
        "the parent to restart itself", lambda: edited.write_text(edited.read_text()), restarted, 60, RESAVE_SECONDS
    )
    log = devserver.process.log()
    assert "devserver.py changed; restarting with fresh libraries" in log
    devserver.wait_serving("the restarted dev server to answer")
    assert devserver.process.popen.pid == parent  # exec'd in place: the container's PID 1 stays


def test_a_broken_model_keeps_the_parent_up_and_the_fix_is_served(devserver):
    devserver.edit("analysis/models.py", "class Job(", "class Job(:")
    wait_until("the child to report the syntax error", lambda: "SyntaxError" in devserver.process.log(), 30)
    assert devserver.process.popen.poll() is None

    # The broken child's watcher starts a moment after it reports the error: the fix is saved until served.
    fixed = (devserver.app / "analysis/models.py").read_text().replace("class Job(:", "class Job(")
    save = lambda: (devserver.app / "analysis/models.py").write_text(fixed)  # noqa: E731
    saved_until("the fixed code to be served", save, lambda: devserver.jobs() is not None, 60, RESAVE_SECONDS)


def test_sigterm_stops_parent_and_child(devserver):
    (child,) = children(devserver.process.popen.pid)
    devserver.process.signal(signal.SIGTERM)
    assert devserver.process.wait(timeout=10) == 0
    assert not Path(f"/proc/{child}").exists()


def follow_child_and_break(parent: DapSession, view: Path, line: int) -> DapSession:
    """As VS Code does with "subProcess": true: attach to the reported child, set a breakpoint."""
    spawned = parent.event("debugpyAttach", timeout=60)["body"]
    child = DapSession(spawned["connect"]["host"], spawned["connect"]["port"])
    child.attach(spawned, {str(view): [line]})
    return child


def test_a_debugger_attached_as_vscode_does_stops_in_each_forked_child(stack, tmp_path):
    # .vscode/launch.json attaches to debugpy in the web pod; runserver code runs in a child
    # forked per reload, so breakpoints must hold in the first child and in the next.
    dap_port = free_port()
    devserver = DevServer(stack, tmp_path, debugpy_port=dap_port)
    view = devserver.app / VIEW_FILE
    # The GET branch of the jobs view: a line run once per request (a comprehension's line
    # would stop twice, in the view's frame and in the comprehension's).
    line = next(n for n, text in enumerate(view.read_text().splitlines(), 1) if 'if request.method == "GET":' in text)
    parent = DapSession("127.0.0.1", dap_port)
    parent.attach({"justMyCode": True, "subProcess": True})

    for generation in ("first child", "child after a reload"):
        child = follow_child_and_break(parent, view, line)
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The first answer is held at the breakpoint until we continue (the child after a
            # reload may still be starting: ask until it answers).
            answer = pool.submit(wait_until, "an answer", lambda: devserver.jobs(timeout=60), 60, 0.05)
            stopped = child.event("stopped")
            assert stopped["body"]["reason"] == "breakpoint", generation
            child.request("continue", {"threadId": stopped["body"]["threadId"]})
            assert answer.result(timeout=60) is not None, generation
        child.close()
        if generation == "first child":
            token = devserver.edit_view()  # the next child is reported to the debugger as it forks
    parent.close()
    assert devserver.served(token)


def test_a_migration_saved_into_the_loop_is_applied_by_the_next_reload(stack, tmp_path):
    server = DevServer(stack, tmp_path, DEVSERVER_MIGRATE="1")
    assert requests.post(f"{server.url}/api/jobs", json={"text": "a job to list"}, timeout=10).status_code == 202
    name, default = f"label_{uuid.uuid4().hex[:6]}", "fresh"

    # The model first, as an editor saves it: until its migration is applied, listing jobs fails (the column is
    # missing), while /readyz stays ready (the code knows no migration the database lacks).
    server.write(model_change.field_edit(name, default))
    wait_until(
        "the listing to fail on the missing column",
        lambda: requests.get(f"{server.url}/api/jobs", timeout=5).status_code == 500,
        30,
        0.1,
    )
    assert requests.get(f"{server.url}/readyz", timeout=5).status_code == 200

    # Saved again until applied: the child that just reloaded registers its watches a moment after it answers
    # (longer on a loaded machine), and a save before that is missed, as serve_edit() explains.
    deadline = time.monotonic() + 30
    while model_change.listed(server.jobs(), name) != default:
        assert time.monotonic() < deadline, f"the new field was not served within 30 s:\n{server.process.log()[-3000:]}"
        server.write(model_change.migration(name, default))
        time.sleep(RESAVE_SECONDS)
    assert f"devserver: applied analysis.0002_job_{name} in " in server.process.log()
    assert requests.get(f"{server.url}/readyz", timeout=5).json() == {"status": "ok"}


def test_without_devserver_migrate_a_reload_applies_nothing(stack, tmp_path):
    server = DevServer(stack, tmp_path)
    name = f"label_{uuid.uuid4().hex[:6]}"
    server.write(model_change.migration(name, "fresh"))
    wait_until(
        "/readyz to name the unapplied migration",
        lambda: requests.get(f"{server.url}/readyz", timeout=5).status_code == 503,
        30,
        0.1,
    )
    assert "devserver: applied" not in server.process.log()
