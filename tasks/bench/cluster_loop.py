"""The dev loop's numbers through the real tools on the test cluster: `skaffold dev` and `tilt up`.

Each tool runs as `invoke up` runs it, in a scratch copy of the project (tasks/devloop/scratch.py)
and a PodSecurity-restricted namespace of its own. Measured per tool: from the command to every
workload Ready and web served; web edit-to-served and worker edit-to-new-result; and, once, the
naive loop (`skaffold run` after an edit: rebuild, push, roll the pods, Ready). Phases come from the
tool's own output, each line timestamped as it arrived (tasks/devloop/running.py): when the tool
noticed the change, when it had copied it into the pod, and the web pod's reloader lines as the
tool streams them, which arrive a little after they were written. Under skaffold dev, what the one
developer's stack costs: its pods' working set and CPU at rest, then during the edits
(tasks/bench/footprint.py), its requests and developers per node (tasks/bench/developer_cost.py).
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tasks import ports
from tasks.bench import developer_cost, footprint, lock_edit, testbed
from tasks.bench.reload import VIEW_FILE, phases, task_edit, view_edit
from tasks.bench.stats import distribution, median_of
from tasks.bench.testbed import BenchError
from tasks.cluster import lifecycle
from tasks.cluster.client import Cluster, env, kubectl
from tasks.cluster.progress import ClusterError
from tasks.devloop import loop
from tasks.devloop.running import Running
from tasks.devloop.scratch import scratch_copy
from tasks.k8s.kustomize import render
from tasks.services.reach import port_open

Log = Callable[[str], None]
TOOLS = ("skaffold", "tilt")
TILT_WEB_PORT = ports.WEB  # the Tiltfile's forward
SETTLE_SECONDS = 1.5  # between edits: the new web child's file watcher starts a moment after it answers
POLL_EVERY = 0.01
# What one developer's stack costs is read under this tool's loop (tasks/bench/footprint.py), as Rest says.
FOOTPRINT_TOOL = "skaffold"
FOOTPRINT_EVERY = 2.0  # seconds between readings at rest: one `kubectl get --raw` per node (about 80 ms of CPU)
FOOTPRINT_EDITS_EVERY = 5.0  # during the timed edits, less often: the kubelet refreshes a pod's every 10-15 s
# What each tool prints when it noticed an edit and when the copy into the pod was done; then the web
# pod's own lines (runserver + django-watchfiles), as the tool streams them.
MARKS = {
    "skaffold": {
        "noticed": "Syncing ",
        "copied": "Watching for changes",
        "reloading": "changed, reloading",
        "ready": "Starting development server",
    },
    "tilt": {
        "noticed": "File Changed",
        "copied": "/web updated!",
        "reloading": "changed, reloading",
        "ready": "Starting development server",
    },
}
# A worker edit: the tool's lines as above (Tilt's copy into the worker's own pod), then the worker pod's
# lines only (beat restarts from the same edit and says the same): devworker.py's restart, Celery ready.
WORKER_MARKS = {
    "skaffold": {
        "noticed": "Syncing ",
        "copied": "Watching for changes",
        "restarting": "[worker]devworker: ",
        "ready": "celery.apps.worker celery@",
    },
    "tilt": {
        "noticed": "File Changed",
        "copied": "/worker updated!",
        "restarting": "worker │ devworker: ",
        "ready": "celery.apps.worker celery@",
    },
}


@dataclass
class Loop:
    tool: str
    cluster: Cluster
    copy: Path
    namespace: str
    running: Running
    web: str = ""

    def get(self, path: str, timeout: float = 2) -> Any:
        try:
            return requests.get(f"{self.web}{path}", timeout=timeout).json()
        except (requests.RequestException, ValueError):
            return None

    def write(self, files: dict[str, bytes]) -> None:
        for name, content in files.items():
            (self.copy / name).write_bytes(content)


def poll(what: str, condition: Callable[[], Any], timeout: float, every: float = POLL_EVERY, loop_: Loop | None = None):
    """testbed.poll, failing at once if the tool exited."""

    def probe() -> Any:
        if loop_ is not None and not loop_.running.alive():
            raise BenchError(f"{loop_.tool} exited while waiting for {what}: {loop_.running.output()[-300:]}")
        return condition()

    return testbed.poll(what, probe, timeout, every)


def all_ready(cluster: Cluster, namespace: str) -> bool:
    """Every Deployment and StatefulSet has its replicas Ready and the migrate Job succeeded."""
    out = kubectl(cluster, "-n", namespace, "get", "deployments,statefulsets,jobs", "-o", "json", check=False)
    try:
        items = json.loads(out.stdout)["items"]
    except ValueError:
        return False
    kinds = {item["kind"] for item in items}
    if not {"Deployment", "StatefulSet", "Job"} <= kinds:
        return False
    for item in items:
        status = item.get("status", {})
        if item["kind"] == "Job":
            if not status.get("succeeded"):
                return False
        elif status.get("readyReplicas", 0) < item["spec"].get("replicas", 1):
            return False
    return True


def _namespace(cluster: Cluster, tool: str) -> str:
    name = f"bench-{tool}-{uuid.uuid4().hex[:6]}"
    kubectl(cluster, "create", "namespace", name)
    kubectl(cluster, "label", "namespace", name, "pod-security.kubernetes.io/enforce=restricted")
    return name


def _argv(tool: str, cluster: Cluster, namespace: str, copy: Path) -> tuple[list[str], dict[str, str]]:
    environ = env(cluster)
    if tool == "skaffold":
        return ["skaffold", "dev", "--profile", "offline", "--namespace", namespace, *loop.SKAFFOLD_DEV_FLAGS], environ
    environ |= {"TILT_DEV_DIR": str(copy.parent / "tilt-dev"), "TILT_DISABLE_ANALYTICS": "1"}
    argv = [
        "tilt",
        "up",
        "--context",
        cluster.context,
        "--namespace",
        namespace,
        "--port",
        "0",
        "--stream",
        "--",
        "--offline",
    ]
    return argv, environ


def _web_url(tool: str, running: Running) -> str | None:
    port = TILT_WEB_PORT if tool == "tilt" else loop.skaffold_forward(running.output(), "service/web", 80)
    return f"http://127.0.0.1:{port}" if port else None


@contextmanager
def started(tool: str, cluster: Cluster, parent: Path, log: Log) -> Iterator[tuple[Loop, float]]:
    """TOOL's dev loop from nothing (a new namespace) to all workloads Ready and web served; (loop, seconds)."""
    if tool == "tilt" and port_open("127.0.0.1", TILT_WEB_PORT):
        raise BenchError(f"127.0.0.1:{TILT_WEB_PORT} is taken: the Tiltfile forwards web there; stop what holds it")
    copy = scratch_copy(parent / tool)
    namespace = _namespace(cluster, tool)
    argv, environ = _argv(tool, cluster, namespace, copy)
    log(f"  {' '.join(argv)}")
    begun = time.monotonic()
    running = Running(argv, copy, environ, parent / f"{tool}.log")
    loop_ = Loop(tool, cluster, copy, namespace, running)
    try:
        loop_.web = poll(f"{tool} to forward web", lambda: _web_url(tool, running), 600, 0.2, loop_)
        poll(f"every workload Ready under {tool}", lambda: all_ready(cluster, namespace), 600, 0.5, loop_)
        ready = time.monotonic() - begun
        poll(f"web to answer through {tool}'s forward", lambda: loop_.get("/api/jobs") is not None, 120, 0.1, loop_)
        yield loop_, ready
    finally:
        running.stop()
        kubectl(cluster, "delete", "namespace", namespace, "--wait=false", check=False)


def _edits(
    loop_: Loop,
    what: str,
    edit: Callable[[str], dict[str, bytes]],
    arrived: Callable[[str], bool],
    marks: dict[str, str],
    iterations: int,
    log: Log,
) -> dict[str, Any]:
    """ITERATIONS edits, each a new token, each timed from the save until ARRIVED(token), with its phases."""
    totals, rows = [], []
    for i in range(iterations):
        time.sleep(SETTLE_SECONDS)
        token = uuid.uuid4().hex[:8]
        saved = time.monotonic()
        loop_.write(edit(token))
        poll(f"{what} {token} to arrive", lambda t=token: arrived(t), 60, loop_=loop_)
        done = time.monotonic()
        rows.append(phases(loop_.running.lines, marks, saved, done))
        totals.append(done - saved)
        log(f"  {loop_.tool} {what} {i + 1}/{iterations}: {totals[-1]:.2f}s ({_describe(rows[-1])})")
    keys = [*(f"to_{name}" for name in marks), "to_served"]
    return {**distribution(totals), "phases_p50": {key: median_of(rows, key) for key in keys}, "iterations": rows}


def web_edits(loop_: Loop, iterations: int, log: Log) -> dict[str, Any]:
    def served(token: str) -> bool:
        return (loop_.get("/api/jobs") or {}).get("edit") == token

    return _edits(loop_, "web edit", view_edit, served, MARKS[loop_.tool], iterations, log)


def _submit_and_wait(loop_: Loop) -> dict[str, Any] | None:
    """A job through the API and its result, or None if web was reloading (it imports the task's module)."""
    try:
        response = requests.post(f"{loop_.web}/api/jobs", json={"text": "bench the worker"}, timeout=10)
        if response.status_code != 202:
            return None
        job_id = response.json()["id"]
    except (requests.RequestException, ValueError):
        return None
    job = poll(
        f"job {job_id} to be done",
        lambda: (j := loop_.get(f"/api/jobs/{job_id}")) and j["status"] in ("done", "failed") and j,
        60,
        loop_=loop_,
    )
    return job.get("result") or {}


def worker_edits(loop_: Loop, iterations: int, log: Log) -> dict[str, Any]:
    poll("the worker to do a job", lambda: _submit_and_wait(loop_) is not None, 60, 0.2, loop_)

    def in_result(token: str) -> bool:
        return (_submit_and_wait(loop_) or {}).get("edit") == token

    return _edits(loop_, "worker edit", task_edit, in_result, WORKER_MARKS[loop_.tool], iterations, log)


def naive_loop(cluster: Cluster, copy: Path, iterations: int, log: Log) -> dict[str, Any]:
    """Without sync: an edit, then `skaffold run` (build, push, deploy, wait until every pod is Ready)."""
    namespace = _namespace(cluster, "naive")
    argv = ["skaffold", "run", "--profile", "offline", "--namespace", namespace]
    totals = []
    try:
        for i in range(iterations + 1):  # the first run deploys everything: not timed
            token = uuid.uuid4().hex[:8]
            (copy / "app" / VIEW_FILE).write_bytes(view_edit(token)[f"app/{VIEW_FILE}"])
            begun = time.monotonic()
            ran = subprocess.run(argv, cwd=copy, env=env(cluster), capture_output=True, text=True, timeout=900)
            if ran.returncode != 0:
                raise BenchError(f"skaffold run failed: {(ran.stdout + ran.stderr)[-300:]}")
            if i:
                totals.append(time.monotonic() - begun)
                log(f"  naive loop (skaffold run) {i}/{iterations}: new pods Ready in {totals[-1]:.2f}s")
    finally:
        kubectl(cluster, "delete", "namespace", namespace, "--wait=false", check=False)
    return distribution(totals)


def lock_edits(loop_: Loop, iterations: int, log: Log) -> dict[str, Any]:
    """ITERATIONS new-dependency edits (tasks/bench/lock_edit.py), each from `invoke lock` typed to served."""
    totals, release = [], None

    def served() -> Any:
        return (loop_.get("/api/jobs") or {}).get("edit")

    for i in range(iterations):
        release = lock_edit.next_release(release)
        totals.append(lock_edit.lock_to_served(loop_.copy, served, release, log))
        log(
            f"  {loop_.tool} lock edit {i + 1}/{iterations} ({lock_edit.PACKAGE}=={release}): served "
            f"{totals[-1]:.1f}s after invoke lock"
        )
        time.sleep(SETTLE_SECONDS)
    return distribution(totals)


def _describe(row: dict[str, float | None]) -> str:
    return ", ".join(f"{k.removeprefix('to_')} {'?' if v is None else f'{v:.2f}'}" for k, v in row.items())


@dataclass(frozen=True)
class Rest:
    """How the stack is read at rest: SETTLE seconds after web first answers (long enough that start-up's CPU has
    left the kubelet's rate, its stats 10-15 s apart), then readings for SECONDS."""

    settle: float
    seconds: float


def at_rest(loop_: Loop, rest: Rest, log: Log) -> dict[str, Any]:
    """The loop's stack once settled: readings of its namespace as REST says (tasks/bench/footprint.py)."""
    log(f"  footprint: settling {rest.settle:.0f}s, then at rest for {rest.seconds:.0f}s")
    time.sleep(rest.settle)
    try:
        window = footprint.at_rest(loop_.cluster, loop_.namespace, rest.seconds, FOOTPRINT_EVERY)
    except ValueError as error:
        raise BenchError(f"footprint at rest: {error}") from None
    log(f"  footprint at rest: {_footprint_line(window)}")
    return window


def _footprint_line(window: dict[str, Any]) -> str:
    total = window["total"]
    each = ", ".join(f"{name} {w['working_set_mib']['median']:.0f}" for name, w in window["workloads"].items())
    return (
        f"{total['working_set_mib']['median']:.0f} MiB median, {total['working_set_mib']['max']:.0f} max ({each}); "
        f"CPU {total['cpu_millicores']['median']:.0f}m median, {total['cpu_millicores']['max']:.0f}m max; "
        f"{window['readings']} readings in {window['seconds']:.0f}s"
    )


def edits_measured(
    loop_: Loop, web_iterations: int, worker_iterations: int, footprint_rest: Rest | None, log: Log
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Web then worker edits through the loop: (their timings, and with FOOTPRINT_REST what the stack costs: at
    rest before them, then during them, its requests and developers per node (tasks/bench/developer_cost.py))."""
    rest = None if footprint_rest is None else at_rest(loop_, footprint_rest, log)
    window = footprint.Window(loop_.cluster, loop_.namespace, FOOTPRINT_EDITS_EVERY)
    with window if rest is not None else nullcontext():
        timings = {
            "web_edit_to_served": web_edits(loop_, web_iterations, log),
            "worker_edit_to_new_result": worker_edits(loop_, worker_iterations, log),
        }
    if rest is None:
        return timings, None
    try:
        edits = window.summary()
    except ValueError as error:
        raise BenchError(f"footprint during edits: {error}") from None
    log(f"  footprint during edits: {_footprint_line(edits)}")
    cost = developer_cost.cost(rest, edits, developer_cost.stack_requests(render("dev")))
    nodes = ", ".join(
        f"{n['node_gib']} GiB: {n['by_working_set']} by working set, {n['by_memory_requests']} by memory requests"
        f", {n['by_cpu_requests']} by CPU requests"
        for n in cost["nodes"]
    )
    log(f"  developers per node: {nodes}")
    return timings, cost


@contextmanager
def test_cluster(log: Log) -> Iterator[Cluster]:
    """The test cluster, started if none runs (with the dev overlay's datastores) and then stopped again."""
    try:
        outcome = lifecycle.up(with_datastores=True, log=lambda line: log(f"  cluster: {line}"))
    except ClusterError as error:
        raise BenchError(f"the test cluster: {error}") from None
    try:
        yield outcome.cluster
    finally:
        if outcome.started:
            lifecycle.down(log=lambda line: log(f"  cluster: {line}"))


def measure(
    web_iterations: int,
    worker_iterations: int,
    naive_iterations: int,
    lock_iterations: int,
    footprint_rest: Rest,
    work: Path,
    log: Log,
) -> dict:
    """Both tools on the test cluster (started here if none runs, with the dev overlay's datastores); under the
    first, what one developer's stack costs (`footprint`), at rest as FOOTPRINT_REST says and during the edits."""
    out: dict[str, Any] = {}
    with test_cluster(log) as cluster:
        for tool in TOOLS:
            with started(tool, cluster, work, log) as (loop_, ready):
                log(f"  {tool}: every workload Ready {ready:.1f}s after the command")
                rest = footprint_rest if tool == FOOTPRINT_TOOL else None
                timings, cost = edits_measured(loop_, web_iterations, worker_iterations, rest, log)
                out[tool] = {"to_all_ready": round(ready, 2), **timings}
                if cost is not None:
                    out["footprint"] = cost
                if lock_iterations:  # full runs only: each is a rebuild of the dependency layers and a rollout
                    out[tool]["lock_to_served"] = lock_edits(loop_, lock_iterations, log)
        out["naive_loop"] = naive_loop(cluster, work / "skaffold" / "main", naive_iterations, log)
    return out


def footprint_only(edits: int, footprint_rest: Rest, work: Path, log: Log) -> dict:
    """What one developer's stack costs, alone: FOOTPRINT_TOOL's loop at rest, then during EDITS web and worker
    edits (`invoke bench --footprint`)."""
    with test_cluster(log) as cluster, started(FOOTPRINT_TOOL, cluster, work, log) as (loop_, ready):
        log(f"  {FOOTPRINT_TOOL}: every workload Ready {ready:.1f}s after the command")
        timings, cost = edits_measured(loop_, edits, edits, footprint_rest, log)
    return {FOOTPRINT_TOOL: {"to_all_ready": round(ready, 2), **timings}, "footprint": cost}
