"""`skaffold dev` on the real cluster, as `invoke up` runs it: edits reach the running pods.

One `skaffold dev` for the module (tests/cluster/skaffold_loop.py: a scratch copy the tests edit, forwarding to
free local ports). In file order: ten view edits served by the same web pod, a task edit the worker computes, a
model change made live by `invoke makemigrations`, `invoke manage` in the web pod, the data commands
(tests/cluster/day.py), debugpy attached through the loop's own port-forward, then a runtime-lock change that
rebuilds the image and rolls the pods. docs/make-it-yours.md's new app is test_make_it_yours_loop.py's.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from tasks import ports
from tasks.bench.reload import TASK_FILE, VIEW_FILE, task_edit, view_edit
from tasks.cluster.client import env
from tests.cluster import canary, day
from tests.cluster.loop import get_json, pods, post_job
from tests.cluster.skaffold_loop import skaffold_dev
from tests.support.dap import DapSession
from tests.support.processes import wait_until
from tests.support.skaffold_config import debug_hook

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]

EDITS = 10
# An edit is served within about a second here; a loop that held syncs for a test run took 23-31 s.
EDIT_SERVED_WITHIN = 20
SETTLE_SECONDS = 1.5  # after a reload, before the next edit: the new child's watcher must be running


@pytest.fixture(scope="module")
def loop(cluster_session, tmp_path_factory):
    with skaffold_dev(cluster_session, tmp_path_factory) as running:
        yield running


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
