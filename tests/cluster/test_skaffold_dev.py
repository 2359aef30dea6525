"""`skaffold dev` on the real cluster, as `invoke up` runs it: edits reach the running pods.

One `skaffold dev` for the module, in a scratch copy the tests edit. In file order: ten view edits served by the
same web pod, a task edit the worker computes, a model change made live by `invoke makemigrations`, `invoke manage`
in the web pod and docs/make-it-yours.md's new app (tests/cluster/day.py), debugpy attached through the loop's own
port-forward, then a runtime-lock change that rebuilds the image and rolls the pods.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tasks import ports
from tasks.bench.reload import TASK_FILE, VIEW_FILE, task_edit, view_edit
from tasks.cluster.client import Cluster, env, kubectl
from tasks.devloop.loop import SKAFFOLD_DEV_FLAGS, skaffold_forward
from tasks.devloop.scratch import scratch_copy
from tests.cluster import canary, day
from tests.cluster.canary import with_canary
from tests.cluster.commands import delete_namespace, restricted_namespace
from tests.cluster.loop import background, get_json, pods, post_job, web_pod
from tests.support.dap import DapSession
from tests.support.processes import wait_until
from tests.support.skaffold_config import debug_hook

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]

EDITS = 10
# An edit is served within about a second here; a loop that held syncs for a test run took 23-31 s.
EDIT_SERVED_WITHIN = 20
SETTLE_SECONDS = 1.5  # after a reload, before the next edit: the new child's watcher must be running


class DevLoop:
    """`skaffold dev --port-forward=user` running in a scratch copy, and what it forwarded."""

    def __init__(self, cluster: Cluster, copy: Path, namespace: str):
        self.cluster, self.copy, self.namespace = cluster, copy, namespace
        self.runs = 0
        self.start()

    def start(self) -> None:
        """skaffold dev as `invoke up` runs it, until web answers through its forward."""
        self.runs += 1
        self.started = time.monotonic()
        argv = ["skaffold", "dev", "--profile", "offline", "--namespace", self.namespace, *SKAFFOLD_DEV_FLAGS]
        log = self.copy.parent / ("skaffold-dev.log" if self.runs == 1 else f"skaffold-dev-{self.runs}.log")
        self.skaffold = background(argv, self.copy, self.cluster, log, with_canary(env(self.cluster)))
        self.web = f"http://127.0.0.1:{self.forwarded('service/web', 80)}"
        self.jobs()  # served: the schema is migrated and the forward answers
        self.served_after = time.monotonic() - self.started

    def restart(self) -> None:
        """Ctrl+C (skaffold removes what it deployed; PostgreSQL's volume stays), then the loop again."""
        self.skaffold.stop()
        self.start()

    def forwarded(self, target: str, remote: int) -> int:
        """The local port skaffold forwards TARGET's REMOTE port to, as its output says."""

        def found() -> int | None:
            assert self.skaffold.alive(), f"skaffold dev exited:\n{self.skaffold.output()[-4000:]}"
            return skaffold_forward(self.skaffold.output(), target, remote)

        return wait_until(f"skaffold to forward {target}:{remote}", found, 600, 1)

    def jobs(self, timeout: float = 300) -> dict:
        return wait_until(
            "web to answer /api/jobs through skaffold's forward", lambda: get_json(f"{self.web}/api/jobs"), timeout, 0.2
        )

    def write(self, files: dict[str, bytes]) -> None:
        for name, content in files.items():
            (self.copy / name).write_bytes(content)

    def web_pod(self) -> tuple[str, str] | None:
        return web_pod(self.cluster, self.namespace)

    def replaced(self, uid: str) -> tuple[str, str]:
        """Wait for web's pod UID to be gone (terminating pods still answer), then for web to answer
        through skaffold's forward, which follows the new pod once the old one's forward broke."""

        def new_pod_alone() -> tuple[str, str] | None:
            listed = json.loads(self.kubectl("get", "pods", "-o", "json").stdout)["items"]
            new = self.web_pod()
            gone = all(item["metadata"]["uid"] != uid for item in listed)
            return new if gone and new and new[0] != uid else None

        new = wait_until("web's old pod to be replaced and gone", new_pod_alone, 600, 1)
        self.jobs()
        return new

    def kubectl(self, *args: str, **kwargs):
        return kubectl(self.cluster, "-n", self.namespace, *args, **kwargs)


@pytest.fixture(scope="module")
def loop(cluster_session, tmp_path_factory):
    cluster = cluster_session.ensure_stack()
    copy = scratch_copy(tmp_path_factory.mktemp("skaffold-dev"))
    namespace = restricted_namespace(cluster, "dev")
    loop = None
    try:
        loop = DevLoop(cluster, copy, namespace)
        print(f"skaffold dev: web served {loop.served_after:.1f}s after start")
        yield loop
    finally:
        if loop is not None:
            loop.skaffold.stop()
        delete_namespace(cluster, namespace)


def test_nothing_of_the_callers_environment_reaches_the_cluster(loop):
    read, carriers = canary.search(loop.cluster, loop.namespace)
    assert read >= 10  # the pods, the migrate Job, ConfigMaps, Secrets
    assert carriers == []


def test_ten_view_edits_in_a_row_are_served_by_the_same_pod(loop):
    before = loop.web_pod()
    took = []
    for _ in range(EDITS):
        time.sleep(SETTLE_SECONDS)
        token = uuid.uuid4().hex[:8]
        saved = time.monotonic()
        loop.write(view_edit(token))
        wait_until(f"edit {token} to be served", lambda t=token: loop.jobs().get("edit") == t, EDIT_SERVED_WITHIN, 0.05)
        took.append(time.monotonic() - saved)
    print("skaffold dev view edits served after (s):", " ".join(f"{t:.2f}" for t in took))
    assert loop.web_pod() == before  # synced into the pod: no rebuild, no new pod
    assert "Testing images" not in loop.skaffold.output()  # no test run held a sync back
    assert loop.skaffold.output().count("Syncing 1 files") >= EDITS


def test_a_task_edit_changes_what_the_worker_computes(loop):
    (worker_before,) = pods(loop.cluster, loop.namespace, "worker")
    token = uuid.uuid4().hex[:8]
    loop.write(task_edit(token))

    def computed_with_the_edit() -> bool:
        try:  # web reloads too (it imports the module): a submission may meet the restart
            job = post_job(loop.web, f"edited task {token}")
        except OSError:
            return False
        done = wait_until(
            "the job to be done",
            lambda: (j := get_json(f"{loop.web}/api/jobs/{job['id']}")) and j["status"] == "done" and j,
            60,
            0.1,
        )
        return done["result"].get("edit") == token

    wait_until(f"the worker to compute with edit {token}", computed_with_the_edit, 60, 0.5)
    (worker_after,) = pods(loop.cluster, loop.namespace, "worker")
    assert worker_after["metadata"]["uid"] == worker_before["metadata"]["uid"]
    assert (loop.copy / "app" / TASK_FILE).read_bytes() == task_edit(token)[f"app/{TASK_FILE}"]


def test_a_model_change_is_live_after_invoke_makemigrations_without_a_rebuild(loop):
    took = day.a_model_change_is_migrated_in_place(loop.web, loop.copy, loop.cluster, loop.namespace)
    print(f"skaffold dev: the new field served {took:.2f}s after `invoke makemigrations` was typed")
    day.a_branch_without_the_migration_is_named(loop.web, loop.copy, loop.cluster, loop.namespace)


def test_invoke_manage_runs_in_the_web_pod_and_passes_its_exit_code(loop):
    day.manage_runs_in_the_web_pod_with_its_exit_code(loop.copy, loop.cluster, loop.namespace)


@pytest.mark.postgres  # the new app's own test runs against the local PostgreSQL, as the page says
def test_docs_make_it_yours_adds_an_app_with_a_model_a_task_and_a_periodic_task_on_the_loop(loop):
    # The page's commands find the loop by the context's namespace: for this test's length, the test cluster's
    # context (every worker's) names the loop's. The cluster tests that may run beside it name their namespaces.
    day.an_app_of_your_own_as_docs_make_it_yours_says(loop.copy, loop.cluster, loop.namespace, loop.restart)


def test_db_seed_snapshot_reset_and_restore_on_the_loops_database(loop):
    day.data_commands_seed_snapshot_reset_and_restore(loop.web, loop.copy, loop.cluster, loop.namespace)


def test_a_debugger_attaches_through_the_loops_forward_and_stops_in_the_pod(loop):
    # What `invoke up --debug` has skaffold run after each deploy (skaffold.yaml's debug profile), with the
    # variables skaffold gives it: DEBUGPY=1 restarts web under debugpy; skaffold's forward of 5678 follows it.
    uid, _image = loop.web_pod()
    _, hook = debug_hook(yaml.safe_load((loop.copy / "skaffold.yaml").read_text()))
    hooked = {**env(loop.cluster), "SKAFFOLD_KUBE_CONTEXT": loop.cluster.context, "SKAFFOLD_NAMESPACES": loop.namespace}
    subprocess.run(hook, env=hooked, check=True, capture_output=True, timeout=60)
    loop.replaced(uid)
    port = loop.forwarded("deployment/web", ports.DEBUGPY)
    view = f"/app/{VIEW_FILE}"
    source = (loop.copy / "app" / VIEW_FILE).read_text().splitlines()
    line = next(n for n, text in enumerate(source, 1) if 'if request.method == "GET":' in text)

    # .vscode/launch.json's attach: to the loop's forward, following devserver's forked child.
    parent = wait_until("a debugger session through the forward", lambda: _attach(port), 120, 1)
    spawned = parent.event("debugpyAttach", timeout=60)["body"]
    child = DapSession("127.0.0.1", port)  # the child's adapter answers on the same forwarded port
    child.attach(spawned, {view: [line]})
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Held at the breakpoint until we continue.
        answer = pool.submit(wait_until, "an answer", lambda: get_json(f"{loop.web}/api/jobs", timeout=60), 60, 0.1)
        stopped = child.event("stopped", timeout=60)
        assert stopped["body"]["reason"] == "breakpoint"
        frames = child.request("stackTrace", {"threadId": stopped["body"]["threadId"]})["body"]["stackFrames"]
        assert (frames[0]["source"]["path"], frames[0]["line"]) == (view, line)
        child.request("continue", {"threadId": stopped["body"]["threadId"]})
        assert answer.result(timeout=60) is not None  # the request held at the breakpoint completes
    child.close()
    parent.close()


def _attach(port: int) -> DapSession | None:
    """VS Code's attach, or None if the forward drops it: skaffold's forward still pointed at the pod
    the rollout replaced, and kubectl exits on that first connection; skaffold then forwards anew."""
    try:
        session = DapSession("127.0.0.1", port, timeout=60)
        session.attach({"justMyCode": True, "subProcess": True})
        return session
    except OSError:  # ConnectionError included
        return None


def test_a_new_dependency_locked_by_invoke_lock_is_built_rolled_and_served(loop):
    took = day.a_new_dependency_is_locked_built_and_served(loop.web, loop.copy, loop.cluster, loop.namespace)
    print(f"skaffold dev: the new dependency served {took:.1f}s after `invoke lock` was typed")
    image = loop.web_pod()[1]

    def workers_rolled() -> bool:
        workers = pods(loop.cluster, loop.namespace, "worker")
        return bool(workers) and all(pod["spec"]["containers"][0]["image"] == image for pod in workers)

    wait_until("the worker to run the rebuilt image too", workers_rolled, 120, 1)
