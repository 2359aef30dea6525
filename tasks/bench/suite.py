"""One bench run: the dev loop's speed beside the naive loop (`invoke bench`).

Real containers throughout: the dev and prod images built as `invoke image.build` builds them,
pods started as the rendered manifests say (tasks/containers/podrun.py), edits synced with skaffold's and
Tilt's tar stream. Writes <out>/<timestamp>/{results.json,results.md,latency.png} and points
<out>/latest at it. --quick runs fewer iterations, for CI; it asserts no time.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from invoke.exceptions import Exit

from tasks.bench import cluster_loop, first_run, floor, meta, reload, report, throughput
from tasks.bench.testbed import BenchError, PodSet, datastores, get_json, poll
from tasks.containers.filesync import SyncError
from tasks.image import builds
from tasks.image.debian_base import ensure_base
from tasks.image.measurements import code_only_rebuild
from tasks.image.measurements import sizes as image_sizes
from tasks.paths import ROOT

STEPS = 10


@dataclass(frozen=True)
class Plan:
    """How much of each measurement one run does."""

    web_edits: int
    all_pods_edits: int
    worker_edits: int
    naive_loops: int
    cold_starts: int
    healthz_requests: int
    home_requests: int
    jobs: int
    cluster_edits: int  # web and worker edits through each real tool on the test cluster
    cluster_naive_loops: int
    lock_edits: int  # new dependencies through `invoke lock` and each tool (a rebuild and rollout each)
    first_runs: bool  # ./bin/up cold and warm through each tool (minutes: builds the base and every image)
    footprint_rest: cluster_loop.Rest  # one developer's stack read at rest (then during its edits)
    concurrency: int = 8


FULL = Plan(
    web_edits=12,
    all_pods_edits=5,
    worker_edits=10,
    naive_loops=3,
    cold_starts=5,
    healthz_requests=3000,
    home_requests=1000,
    jobs=300,
    cluster_edits=12,
    cluster_naive_loops=3,
    lock_edits=3,
    first_runs=True,
    footprint_rest=cluster_loop.Rest(settle=20, seconds=40),
)
QUICK = Plan(
    web_edits=3,
    all_pods_edits=2,
    worker_edits=2,
    naive_loops=1,
    cold_starts=3,
    healthz_requests=300,
    home_requests=100,
    jobs=30,
    cluster_edits=2,
    cluster_naive_loops=1,
    lock_edits=0,
    first_runs=False,
    # Shows the path works: its CPU figures may still hold the end of start-up (full runs' figures are published).
    footprint_rest=cluster_loop.Rest(settle=4, seconds=8),
)


class Progress:
    """Numbered step lines with the time since the start, printed at once."""

    def __init__(self) -> None:
        self.started, self.step = time.monotonic(), 0

    def __call__(self, line: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f}s] {line}", flush=True)

    def next(self, what: str) -> None:
        self.step += 1
        self(f"({self.step}/{STEPS}) {what}")


def out_dir(out: str) -> Path:
    """<out> as a directory that can be written to; Exit with one line if it cannot be."""
    path = Path(out) if Path(out).is_absolute() else ROOT / out
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise Exit(f"--out {out}: a file is in the way; give a directory", code=1) from None
    except OSError as error:
        raise Exit(f"--out {out}: cannot create it ({error.strerror})", code=1) from None
    if not path.is_dir():
        raise Exit(f"--out {out}: a file is in the way; give a directory", code=1)
    return path


def run(quick: bool, target: Path) -> None:
    """One bench run into <target>: measure everything, write the results, print a one-line summary."""
    plan = QUICK if quick else FULL
    started = datetime.now().astimezone()
    progress = Progress()
    try:
        metrics = measure(plan, progress)
    except (BenchError, SyncError) as error:
        raise Exit(f"bench failed: {error}", code=1) from None
    results = {
        "meta": {
            "started": started.isoformat(timespec="seconds"),
            "mode": "quick" if quick else "full",
            "seconds": round(time.monotonic() - progress.started, 1),
            **meta.describe({"dev": builds.tag_for("dev"), "prod": builds.tag_for("prod")}),
        },
        "metrics": metrics,
    }
    results["targets"] = report.targets(metrics)
    run_dir = target / started.strftime("%Y%m%d-%H%M%S")
    report.write(run_dir, results)
    latest = target / "latest"
    latest.unlink(missing_ok=True)
    latest.symlink_to(run_dir.name)
    met = sum(t["met"] for t in results["targets"])
    print(
        f"bench ({results['meta']['mode']}) done in {results['meta']['seconds']:.0f}s: web edit p50 "
        f"{metrics['web_edit_to_served']['p50']:.2f}s in the pod, "
        f"{metrics['skaffold_web_edit_to_served']['p50']:.2f}s through skaffold dev, "
        f"{metrics['tilt_web_edit_to_served']['p50']:.2f}s through tilt up; "
        f"worker p50 {metrics['worker_edit_to_new_result']['p50']:.2f}s, "
        f"naive/synced {metrics['naive_over_synced']:.1f}x, prod rebuild "
        f"{metrics['prod_code_only_rebuild']['seconds']:.1f}s, prod +{metrics['prod_image']['over_base_mb']:.0f} MB, "
        f"one developer {metrics['footprint']['rest']['total']['working_set_mib']['median']:.0f} MiB at rest; "
        f"{met}/{len(results['targets'])} targets met; {run_dir}/results.md",
        flush=True,
    )


def run_footprint(quick: bool, target: Path) -> None:
    """Only what one developer's stack costs (`invoke bench --footprint`), into <target>/footprint-<timestamp>/."""
    plan = QUICK if quick else FULL
    started = datetime.now().astimezone()
    progress = Progress()
    progress(
        f"what a developer costs: skaffold dev on the test cluster, at rest {plan.footprint_rest.seconds:.0f}s, then "
        f"during {plan.cluster_edits} web and {plan.cluster_edits} worker edits"
    )
    try:
        with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as work:
            real = cluster_loop.footprint_only(plan.cluster_edits, plan.footprint_rest, Path(work), progress)
    except BenchError as error:
        raise Exit(f"bench --footprint failed: {error}", code=1) from None
    tool = cluster_loop.FOOTPRINT_TOOL
    metrics = {"footprint": real["footprint"], **{f"{tool}_{key}": value for key, value in real[tool].items()}}
    results = {
        "meta": {
            "started": started.isoformat(timespec="seconds"),
            "mode": f"footprint, {'quick' if quick else 'full'}",
            "seconds": round(time.monotonic() - progress.started, 1),
            **meta.describe({}),
        },
        "metrics": metrics,
    }
    results["targets"] = report.targets(metrics)
    run_dir = target / f"footprint-{started:%Y%m%d-%H%M%S}"
    report.write_footprint(run_dir, results)
    rest, edits = metrics["footprint"]["rest"]["total"], metrics["footprint"]["edits"]["total"]
    per_node = ", ".join(
        f"{n['by_working_set']}/{n['by_memory_requests']}/{n['by_cpu_requests']} per {n['node_gib']} GiB"
        for n in metrics["footprint"]["nodes"]
    )
    print(
        f"bench --footprint done in {results['meta']['seconds']:.0f}s: one developer "
        f"{rest['working_set_mib']['median']:.0f} MiB and {rest['cpu_millicores']['median']:.0f}m CPU at rest, "
        f"{edits['working_set_mib']['max']:.0f} MiB and {edits['cpu_millicores']['max']:.0f}m at most during edits; "
        f"developers by working set/memory requests/CPU requests: {per_node}; {run_dir}/results.md",
        flush=True,
    )


def measure(plan: Plan, progress: Progress) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    quiet = lambda _line: None  # noqa: E731 - build step lines would drown the progress

    progress.next("images: base, dev and prod (cached layers are reused)")
    ensure_base(log=quiet)
    for name in ("dev", "prod"):
        progress(f"  {builds.build(name, offline=True, log=quiet).summary()}")

    progress.next("prod image size over its base")
    sizes = image_sizes()
    metrics["prod_image"] = {
        "base_image": sizes.base_image,
        "base_bytes": sizes.base,
        "prod_bytes": sizes.prod,
        "dev_bytes": sizes.dev,
        "over_base_bytes": sizes.prod_over_base,
        "over_base_mb": round(sizes.prod_over_base / report.MB, 1),
        "over_base_mib": round(sizes.prod_over_base / 2**20, 1),
        "prod_mib": round(sizes.prod / 2**20, 1),
    }
    progress(f"  {sizes.line()}")

    progress.next("code-only rebuild of the prod image (dependency layers cached)")
    rebuild = code_only_rebuild("prod", offline=True, log=quiet)
    deps_cached = rebuild.cached("deps") and rebuild.cached("prod-venv")
    metrics["prod_code_only_rebuild"] = {"seconds": round(rebuild.seconds, 3), "dependency_layers_cached": deps_cached}
    progress(f"  {rebuild.seconds:.2f}s, dependency layers {'cached' if deps_cached else 'REBUILT'}")

    with datastores() as stores:
        dev = PodSet("dev", builds.tag_for("dev"), stores)
        prod = PodSet("prod", builds.tag_for("prod"), stores)
        progress.next(f"floor: Django cold start in the dev and prod images, {plan.cold_starts} times each")
        metrics["cold_start"] = {
            "dev": floor.cold_start(dev.image, dev.env("web"), plan.cold_starts),
            "prod": floor.cold_start(prod.image, prod.env("web"), plan.cold_starts),
        }
        for image, kinds in metrics["cold_start"].items():
            progress(f"  {image}: " + ", ".join(f"{kind} p50 {d['p50']:.2f}s" for kind, d in kinds.items()))
        try:
            metrics.update(dev_loop(dev, plan, progress))
        finally:
            dev.remove_all()
        try:
            metrics.update(prod_throughput(prod, stores, plan, progress))
        finally:
            prod.remove_all()

    progress.next(
        "the real loop on the test cluster: skaffold dev (with what one developer's stack costs) and tilt up, "
        "then `skaffold run` as the naive loop"
    )
    with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as work:
        real = cluster_loop.measure(
            plan.cluster_edits,
            plan.cluster_edits,
            plan.cluster_naive_loops,
            plan.lock_edits,
            plan.footprint_rest,
            Path(work),
            progress,
        )
    for tool in cluster_loop.TOOLS:
        for key, value in real[tool].items():
            metrics[f"{tool}_{key}"] = value
    metrics["cluster_naive_loop"] = real["naive_loop"]
    metrics["footprint"] = real["footprint"]

    if plan.first_runs:
        progress.next("the first and a second ./bin/up through each tool, each from a fresh clone on a cold machine")
        with tempfile.TemporaryDirectory(prefix="shipyard-bench-up-") as work:
            try:
                metrics["first_run"] = first_run.measure(Path(work), progress)
            except first_run.NotServed as error:
                raise BenchError(str(error)) from None
    else:
        progress.next("the first ./bin/up: full runs only (it stops the engine and the cluster)")

    metrics["cold_start"]["dev_pod"] = metrics.pop("cold_start_dev_pod")
    metrics["web_in_pod_reload"] = reload.in_pod(metrics["web_edit_to_served"])
    metrics["naive_over_synced"] = round(metrics["naive_loop"]["p50"] / metrics["web_edit_to_served"]["p50"], 2)
    metrics["web_edit_over_floor"] = round(
        metrics["web_edit_to_served"]["p50"] / metrics["cold_start"]["dev"]["app"]["p50"], 2
    )
    return metrics


def dev_loop(dev: PodSet, plan: Plan, progress: Progress) -> dict[str, Any]:
    """Steps 5-7: web and worker edits synced into the running dev pods, then the naive loop."""
    out: dict[str, Any] = {}
    progress.next(f"web edit-to-served in the dev web pod, {plan.web_edits} edits")
    dev.migrate()
    web = dev.start("web")
    progress(f"  web runs: {' '.join(web.pod.containers[0].argv)}")
    reload.wait_web()
    pod_floor = floor.cold_start_in_pod(web, plan.cold_starts)
    out["cold_start_dev_pod"] = pod_floor
    progress(f"  cold start inside the running dev pod (seeded /app): app p50 {pod_floor['app']['p50']:.2f}s")
    out["web_edit_to_served"] = reload.web_edits(web, plan.web_edits, progress)

    progress.next(f"worker edit-to-new-result through the API, {plan.worker_edits} edits")
    worker = dev.start("worker")
    progress(f"  worker runs: {' '.join(worker.pod.containers[0].argv)}")
    out["worker_edit_to_new_result"] = reload.worker_edits(worker, plan.worker_edits, progress)
    progress("  web edit synced to web, worker and beat at once (as skaffold syncs every pod of the image)")
    beat = dev.start("beat")
    poll("beat to start", lambda: "beat: Starting..." in beat.logs(), 60, 0.2)
    out["web_edit_to_served_all_pods"] = reload.web_edits(web, plan.all_pods_edits, progress, [worker, beat])
    dev.remove(beat)
    dev.remove(worker)

    progress.next(f"naive loop: rebuild the dev image, replace the web pod, {plan.naive_loops} time(s)")
    out["naive_loop"], _ = reload.naive_loop(dev, web, plan.naive_loops, progress)
    return out


def prod_throughput(prod: PodSet, stores: dict[str, str], plan: Plan, progress: Progress) -> dict[str, Any]:
    """Step 8: the prod image under gunicorn, and Celery end to end."""
    progress.next("throughput of the prod image: gunicorn pages, then jobs end to end")
    prod.start("web")
    headers = prod.ingress_headers()
    poll("prod web to be ready", lambda: get_json("/readyz", headers) == {"status": "ok"}, 60, 0.1)
    worker = prod.start("worker")
    poll("the prod worker to be ready", lambda: "ready." in worker.logs(), 60, 0.2)  # idle before web is loaded
    pages = {}
    for name, path, count in (("liveness", "/healthz", plan.healthz_requests), ("home", "/", plan.home_requests)):
        pages[name] = throughput.page(path, count, plan.concurrency, headers)
        progress(
            f"  GET {path}: {pages[name]['requests_per_second']:.0f} requests/s, "
            f"p95 {pages[name]['latency_p95'] * 1000:.0f} ms, {pages[name]['ok']:.0%} ok"
        )
    jobs = throughput.jobs(plan.jobs, plan.concurrency, headers, stores["DATABASE_URL"])
    progress(f"  {jobs['jobs']} jobs in {jobs['seconds']:.1f}s: {jobs['jobs_per_second']:.1f} jobs/s end to end")
    return {"web_throughput": pages, "celery_throughput": jobs}
