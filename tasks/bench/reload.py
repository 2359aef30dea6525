"""The dev loop's edit-to-new-code times in real dev containers, and the naive loop for comparison.

Each iteration makes a fresh edit (a new token in the output), syncs it with the tar stream
skaffold and Tilt use (tasks/containers/filesync.py), and polls until the token comes back. Phases come
from the container's own log lines, timestamped by Docker: when the reloader noticed the
change, when the new process had Django set up, when it was ready, and the first response.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import requests

from tasks.bench.stats import distribution, median_of
from tasks.bench.testbed import WEB, BenchError, PodSet, get_json, poll
from tasks.containers.filesync import SKAFFOLD_UNTAR, TILT_UNTAR, edited, sync
from tasks.containers.podrun import RunningPod, docker
from tasks.image import builds
from tasks.image.docker_engine import Log, docker_quiet
from tasks.image.measurements import scratch_context

# The web edit: the JSON list view gains a key (a real view: routing, middleware, one query).
VIEW_FILE, VIEW_ANCHOR = "analysis/api.py", 'JsonResponse({"jobs": '
# The worker edit: the task's analysis gains a key, visible in the job's result.
TASK_FILE, TASK_ANCHOR = "analysis/text.py", '"characters": len(text),'
NAIVE_TAG = "shipyard-app:bench-naive"
SETTLE_SECONDS = 1.0  # between iterations: let the new process's file watcher start watching
POLL_EVERY = 0.01  # how often the new code is asked for: the resolution of every measurement
JOB_POLL_EVERY = 0.01

# Log lines that mark each phase (runserver + django-watchfiles; watchfiles CLI + celery).
WEB_MARKS = {"detected": "changed, reloading", "setup": "Watching for file changes", "ready": "Starting development"}
# devworker.py says which file changed; the new celery child logs "Connected to redis://..." then "ready.".
WORKER_MARKS = {"detected": "changed, restarting", "connected": "Connected to", "ready": "ready."}


def view_edit(token: str) -> dict[str, bytes]:
    return {f"app/{VIEW_FILE}": edited(VIEW_FILE, VIEW_ANCHOR, f'JsonResponse({{"edit": "{token}", "jobs": ')}


def task_edit(token: str) -> dict[str, bytes]:
    return {f"app/{TASK_FILE}": edited(TASK_FILE, TASK_ANCHOR, f'{TASK_ANCHOR}\n        "edit": "{token}",')}


def served_edit() -> str | None:
    return (get_json("/api/jobs") or {}).get("edit")


def wait_web(timeout: float = 120) -> None:
    poll("the dev web container to answer /api/jobs", lambda: get_json("/api/jobs") is not None, timeout, 0.1)


def log_times(running: RunningPod, since: float) -> list[tuple[float, str]]:
    """(epoch seconds, line) of the main container's log lines since `since`, Docker's timestamps."""
    result = docker("logs", "--timestamps", "--since", f"{since:.3f}", running.container_name())
    lines = []
    for raw in (result.stdout + result.stderr).decode(errors="replace").splitlines():
        stamp, _, line = raw.partition(" ")
        try:  # 2026-11-22T21:33:01.123456789Z: fromisoformat takes microseconds at most
            moment = datetime.fromisoformat(stamp[:26].rstrip("Z") + "+00:00").timestamp()
        except ValueError:
            continue
        lines.append((moment, line))
    return sorted(lines)


def first_mark(lines: list[tuple[float, str]], mark: str, after: float) -> float | None:
    return next((moment for moment, line in lines if moment >= after and mark in line), None)


def phases(
    lines: list[tuple[float, str]], marks: dict[str, str], synced: float, served: float
) -> dict[str, float | None]:
    """Seconds spent between consecutive marks: sync end -> detected -> ... -> served."""
    out: dict[str, float | None] = {}
    previous: float | None = synced
    for name, mark in marks.items():
        moment = first_mark(lines, mark, synced - 0.05)
        out[f"to_{name}"] = round(moment - previous, 4) if moment is not None and previous is not None else None
        previous = moment if moment is not None else None
    out["to_served"] = round(served - previous, 4) if previous is not None else None
    return out


def one_edit(
    running: list[RunningPod], files: dict[str, bytes], untar: tuple[str, ...], arrived: Callable[[], bool]
) -> tuple[float, float, float, float]:
    """Sync `files` into the pods at once (as skaffold does), poll until arrived().

    Returns (wall-clock start, seconds until the first pod's sync returned, total seconds, wall-clock end).
    """
    wall, started = time.time(), time.monotonic()

    def timed_sync(pod: RunningPod) -> float:
        sync(pod, files, untar)
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=len(running)) as pool:
        synced, *_ = pool.map(timed_sync, running)  # every sync must succeed; the first pod is timed
    poll("the edit to be served", lambda: arrived() or None, 60, POLL_EVERY)
    total = time.monotonic() - started
    return wall, synced, total, wall + total


def edit_loop(
    label: str,
    pods: list[RunningPod],
    edit: Callable[[str], dict[str, bytes]],
    untar: tuple[str, ...],
    answered: Callable[[], str | None],
    marks: dict[str, str],
    iterations: int,
    log: Log,
) -> dict[str, Any]:
    """Make `iterations` fresh edits; each time, sync and wait until answered() returns its token.

    Phases come from the log of pods[0], the pod whose answer is timed.
    """
    totals, rows = [], []
    for i in range(iterations):
        token = uuid.uuid4().hex[:8]
        wall, synced, total, end = one_edit(pods, edit(token), untar, lambda t=token: answered() == t)
        row = {"sync": round(synced, 4), **phases(log_times(pods[0], wall - 1), marks, wall + synced, end)}
        totals.append(total)
        rows.append(row)
        log(f"  {label} {i + 1}/{iterations}: new code answered in {total:.2f}s ({_describe(row)})")
        time.sleep(SETTLE_SECONDS)
    return {**distribution(totals), "phases_p50": {key: median_of(rows, key) for key in rows[0]}, "iterations": rows}


def web_edits(web: RunningPod, iterations: int, log: Log, also: list[RunningPod] | None = None) -> dict[str, Any]:
    """Edit the view, sync (into `also` too, as skaffold syncs every pod of the image), time until served."""
    pods = [web, *(also or [])]
    return edit_loop("web edit", pods, view_edit, SKAFFOLD_UNTAR, served_edit, WEB_MARKS, iterations, log)


def submit_and_wait(timeout: float = 60) -> dict[str, Any]:
    """POST a job through the API, wait for its result: what the worker's code returned."""
    response = requests.post(f"{WEB}/api/jobs", json={"text": "bench the worker"}, timeout=10)
    if response.status_code != 202:
        raise BenchError(f"POST /api/jobs answered {response.status_code}: {response.text[:200]}")
    job_id = response.json()["id"]
    job = poll(
        f"job {job_id} to be done",
        lambda: (j := get_json(f"/api/jobs/{job_id}")) and j["status"] in ("done", "failed") and j,
        timeout,
        JOB_POLL_EVERY,
    )
    return job.get("result") or {}


def worker_edits(worker: RunningPod, iterations: int, log: Log) -> dict[str, Any]:
    """Edit the task, sync it, submit jobs through the API until one returns the new result."""
    submit_and_wait()  # the worker is up and consuming before the clock starts
    answered = lambda: submit_and_wait().get("edit")  # noqa: E731 - the token in the newest job's result
    return edit_loop("worker edit", [worker], task_edit, TILT_UNTAR, answered, WORKER_MARKS, iterations, log)


def naive_loop(pods: PodSet, web: RunningPod, iterations: int, log: Log) -> tuple[dict[str, Any], RunningPod]:
    """Edit the view in a scratch build context, rebuild dev, replace the web pod, time until served."""
    totals, rows = [], []
    try:
        with scratch_context() as context:
            for i in range(iterations):
                token = uuid.uuid4().hex[:8]
                (context / "app" / VIEW_FILE).write_bytes(view_edit(token)[f"app/{VIEW_FILE}"])
                started = time.monotonic()
                built = builds.build("dev", offline=True, context=context, tag=NAIVE_TAG, log=lambda _: None)
                build_done = time.monotonic()
                pods.remove(web)  # docker rm -f, as a new pod replaces the old one
                web = pods.start("web", image=NAIVE_TAG)  # init container seeds /app again
                start_done = time.monotonic()
                poll("the rebuilt web to serve the edit", lambda t=token: served_edit() == t or None, 120, 0.02)
                total = time.monotonic() - started
                row = {
                    "build": round(build_done - started, 4),
                    "replace_pod": round(start_done - build_done, 4),
                    "to_served": round(started + total - start_done, 4),
                    "deps_cached": built.cached("deps") and built.cached("dev-deps"),
                }
                totals.append(total)
                rows.append(row)
                log(f"  naive loop {i + 1}/{iterations}: served in {total:.2f}s ({_describe(row)})")
    finally:
        docker_quiet("image", "rm", "--force", NAIVE_TAG)
    phases_p50 = {key: median_of(rows, key) for key in ("build", "replace_pod", "to_served")}
    return {**distribution(totals), "phases_p50": phases_p50, "iterations": rows}, web


def in_pod(edits: dict[str, Any]) -> dict[str, Any]:
    """The web reload inside the pod: each edit's time to served, less its sync (the tools' copy)."""
    return distribution([total - row["sync"] for total, row in zip(edits["samples"], edits["iterations"], strict=True)])


def _describe(row: dict[str, Any]) -> str:
    return ", ".join(
        f"{key.removeprefix('to_')} {value:.2f}" if isinstance(value, float) else f"{key.removeprefix('to_')} ?"
        for key, value in row.items()
        if not isinstance(value, bool)
    )
