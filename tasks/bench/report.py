"""Write one bench run: results.json (everything), results.md (the tables) and latency.png (the chart)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.devloop.phases import ORDER

MB = 1000 * 1000  # the target says MB; MiB is shown beside it


@dataclass(frozen=True)
class Target:
    name: str
    metric: str  # dotted path into results["metrics"]
    limit: float
    unit: str
    at_least: bool = False  # True: the value must reach the limit; False: stay under it

    def measured(self, metrics: dict[str, Any]) -> bool:
        """Whether this run measured it: the first ./bin/up runs only in a full bench."""
        return self.metric.split(".")[0] in metrics

    def check(self, metrics: dict[str, Any]) -> dict[str, Any]:
        value = metrics
        for key in self.metric.split("."):
            value = value[key]
        met = value >= self.limit if self.at_least else value <= self.limit
        sign = ">=" if self.at_least else "<="
        return {"name": self.name, "value": value, "target": f"{sign} {self.limit:g} {self.unit}", "met": met}


# The targets, for a 2-core machine.
TARGETS = (
    Target("web edit-to-served p50", "web_edit_to_served.p50", 0.5, "s"),
    Target("web edit-to-served p95", "web_edit_to_served.p95", 1.0, "s"),
    Target("worker edit-to-new-result p50", "worker_edit_to_new_result.p50", 1.5, "s"),
    Target("naive loop / synced loop (p50s)", "naive_over_synced", 10, "x", at_least=True),
    Target("prod code-only rebuild", "prod_code_only_rebuild.seconds", 3, "s"),
    Target("prod image over its base", "prod_image.over_base_mb", 80, "MB"),
    # Through the real tools on the test cluster (issue 14).
    Target("skaffold dev: web edit-to-served p50", "skaffold_web_edit_to_served.p50", 1.0, "s"),
    Target("skaffold dev: web edit-to-served p95", "skaffold_web_edit_to_served.p95", 1.5, "s"),
    Target("tilt up: web edit-to-served p50", "tilt_web_edit_to_served.p50", 1.0, "s"),
    Target("tilt up: web edit-to-served p95", "tilt_web_edit_to_served.p95", 1.5, "s"),
    Target("skaffold dev: worker edit-to-new-result p50", "skaffold_worker_edit_to_new_result.p50", 1.5, "s"),
    Target("tilt up: worker edit-to-new-result p50", "tilt_worker_edit_to_new_result.p50", 1.5, "s"),
    Target("skaffold dev: from nothing to every workload Ready", "skaffold_to_all_ready", 90, "s"),
    Target("web reload in the pod p50", "web_in_pod_reload.p50", 0.30, "s"),
    # A second ./bin/up on the same machine (issue 21); full runs only.
    Target("second ./bin/up, skaffold: served", "first_run.skaffold.warm.seconds", 60, "s"),
    Target("second ./bin/up, tilt: served", "first_run.tilt.warm.seconds", 60, "s"),
    # What a developer costs (issue 27): one dev stack's pods' working set, median at rest.
    Target("one developer at rest: working set", "footprint.rest.total.working_set_mib.median", 300, "MiB"),
)

# The latency distributions drawn in the chart, in this order.
LOOPS = (
    ("web_edit_to_served", "web edit\n(synced)"),
    ("web_edit_to_served_all_pods", "web edit, synced\nto web+worker+beat"),
    ("worker_edit_to_new_result", "worker edit\n(synced)"),
    ("naive_loop", "naive loop\n(rebuild + new pod)"),
)
# Through the real tools on the test cluster, drawn beside the above.
CLUSTER_LOOPS = (
    ("skaffold_web_edit_to_served", "web edit,\nskaffold dev"),
    ("tilt_web_edit_to_served", "web edit,\ntilt up"),
    ("skaffold_worker_edit_to_new_result", "worker edit,\nskaffold dev"),
    ("tilt_worker_edit_to_new_result", "worker edit,\ntilt up"),
    ("cluster_naive_loop", "naive loop,\nskaffold run"),
)
CLUSTER_PHASES = ("to_noticed", "to_copied", "to_reloading", "to_ready", "to_served")
CLUSTER_WORKER_PHASES = ("to_noticed", "to_copied", "to_restarting", "to_ready", "to_served")
CLUSTER_NOTE = (
    'From the save: noticed, until the tool said so (skaffold\'s "Syncing", Tilt\'s "File Changed"); copied, '
    "until it said the copy into the pod was done; reloading and ready, until the web pod's reloader lines "
    '("changed, reloading", "Starting development server") arrived through the tool\'s log stream, a little '
    "after they were written; served, until the first answer with the new code through the tool's port-forward. "
    "A worker edit likewise (Tilt's copy into the worker's pod), then the worker pod's own lines: restarting, "
    'until devworker.py said which file changed; ready, until Celery said "ready."; served, until a job submitted '
    "through web came back with the new code's result. "
    "The naive loop: an edit, then `skaffold run` (build, push, deploy, every pod Ready)."
)


def targets(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    return [target.check(metrics) for target in TARGETS if target.measured(metrics)]


FIRST_RUN_NOTE = (
    "Each from a fresh clone. Cold: the test cluster down, the Docker engine stopped, no base image; warm: "
    "`./bin/up` again on the same machine. packages: bin/setup (system packages, the .venv); engine: until "
    "Docker answered; base: the debootstrap base built; cluster: started, the datastores' images pushed; build: "
    "until the first pod of the new app image existed; deploy: until a new web pod's containers ran; served: until "
    "web answered through the tool's forward. A phase that did not happen (Tilt's pods still ran) shows -."
)


def first_run_markdown(m: dict[str, Any], met: dict[str, dict[str, Any]]) -> list[str]:
    """The first and second `./bin/up` through each tool, phase by phase."""
    lines = ["## The first and a second `./bin/up` (seconds)", ""]
    lines += ["| run | " + " | ".join(ORDER) + " | total | target | met |", "|---" * (len(ORDER) + 4) + "|"]
    for tool, runs in m["first_run"].items():
        for name, run in runs.items():
            cells = " | ".join("-" if run["phases"].get(p) is None else f"{run['phases'][p]:.1f}" for p in ORDER)
            verdict = _verdict(met.get(f"second ./bin/up, {tool}: served")) if name == "warm" else "- | -"
            lines.append(f"| {tool}, {name} | {cells} | {run['seconds']:.1f} | {verdict} |")
    return [*lines, "", FIRST_RUN_NOTE]


FOOTPRINT_NOTE = (
    "One developer's stack under skaffold dev, read from the kubelet's Summary API through the API server "
    "(tasks/bench/footprint.py). Working set: each pod's cgroup, as the kubelet reports it and evicts by (with what "
    "exited containers, such as the seed-app init container's copy, left charged to the pod); in brackets the sum "
    "of its containers', as the container runtime shows them. CPU: the pod's, over the kubelet's last stats "
    "interval (10-15 s). At rest: the median of the readings after the stack settled; during edits: the most "
    "seen while skaffold dev's timed web and worker edits ran (a reading every 5 s; the kubelet refreshes a "
    "pod's figures every 10-15 s, so a shorter spike can fall between them). Requests: what the scheduler "
    "reserves for each pod of the dev overlay (init containers as Kubernetes counts them); rolling out: with "
    "web's and worker's surge pods and the migrate Job, as when a rebuild is deployed. Developers per node "
    "(tasks/bench/developer_cost.py): what a node of that size leaves for pods after GKE's documented "
    "reservation, the kubelet's 100 MiB eviction threshold and 256 MiB, 200m of DaemonSets, with 4 GiB per "
    "vCPU; by working set at the edit peak, by memory requests and by CPU requests."
)


def _mib(figures: dict[str, Any] | None, stat: str) -> str:
    if figures is None:
        return "-"
    return f"{figures['working_set_mib'][stat]:.1f} ({figures['containers_working_set_mib'][stat]:.1f})"


def _millicores(figures: dict[str, Any] | None, stat: str) -> str:
    return "-" if figures is None else f"{figures['cpu_millicores'][stat]:.0f}"


def footprint_markdown(m: dict[str, Any], met: dict[str, dict[str, Any]]) -> list[str]:
    """What one developer's stack costs: per workload at rest and during edits, its requests, developers per node."""
    f = m["footprint"]
    rest, edits, requests = f["rest"], f["edits"], f["requests"]
    lines = ["## What a developer costs", ""]
    lines += [
        "| workload | at rest: working set MiB (containers) | at rest: CPU m | during edits: working set MiB, max "
        "| during edits: CPU m, max | requests: memory MiB | requests: CPU m |",
        "|---|---|---|---|---|---|---|",
    ]
    names = sorted(set(rest["workloads"]) | set(edits["workloads"]) | set(requests["workloads"]))
    for name in names:
        r, e, q = rest["workloads"].get(name), edits["workloads"].get(name), requests["workloads"].get(name)
        asked = "- | -" if q is None else f"{q['memory_mib']:.0f} | {q['cpu_millicores']:.0f}"
        lines.append(
            f"| {name} | {_mib(r, 'median')} | {_millicores(r, 'median')} | {_mib(e, 'max')} "
            f"| {_millicores(e, 'max')} | {asked} |"
        )
    running, deploying = requests["running"], requests["deploying"]
    lines.append(
        f"| **total** | {_mib(rest['total'], 'median')} | {_millicores(rest['total'], 'median')} "
        f"| {_mib(edits['total'], 'max')} | {_millicores(edits['total'], 'max')} "
        f"| {running['memory_mib']:.0f} ({deploying['memory_mib']:.0f} rolling out) "
        f"| {running['cpu_millicores']:.0f} ({deploying['cpu_millicores']:.0f}) |"
    )
    lines += [
        "",
        f"{rest['readings']} readings at rest over {rest['seconds']:.0f} s, {edits['readings']} during edits over "
        f"{edits['seconds']:.0f} s. Target: one developer at rest "
        f"{_verdict(met.get('one developer at rest: working set')).replace(' | ', ', met: ')}.",
        "",
        "| node | left for dev stacks | developers by working set (edit peak) | by memory requests | by CPU requests |",
        "|---|---|---|---|---|",
    ]
    for n in f["nodes"]:
        lines.append(
            f"| {n['node_gib']} GiB, {n['vcpus']:g} vCPUs | {n['for_stacks_mib']:.0f} MiB, "
            f"{n['for_stacks_millicores']:.0f}m | {n['by_working_set']} | {n['by_memory_requests']} "
            f"| {n['by_cpu_requests']} |"
        )
    return [*lines, "", FOOTPRINT_NOTE]


def write_footprint(out: Path, results: dict[str, Any]) -> list[Path]:
    """`invoke bench --footprint`: results.json and results.md (the footprint's tables and the targets it judged)."""
    out.mkdir(parents=True, exist_ok=True)
    meta, met = results["meta"], {t["name"]: t for t in results["targets"]}
    lines = [
        f"# shipyard bench: {meta['started']} ({meta['mode']})",
        "",
        f"{meta['cpu_count']} CPUs ({meta['cpu_model']}), {meta['memory_gib']} GiB. Commit {meta['git_commit']}"
        f"{' (with uncommitted changes)' if meta['git_dirty'] else ''}.",
        "",
        *footprint_markdown(results["metrics"], met),
        "",
        "| target | value | limit | met |",
        "|---|---|---|---|",
        *(f"| {t['name']} | {t['value']:g} | {t['target']} | {_verdict(t).split(' | ')[1]} |" for t in met.values()),
    ]
    paths = [out / "results.json", out / "results.md"]
    paths[0].write_text(json.dumps(results, indent=2) + "\n")
    paths[1].write_text("\n".join(lines) + "\n")
    return paths


def write(out: Path, results: dict[str, Any]) -> list[Path]:
    """Write the three files into `out`; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / "results.json", out / "results.md", out / "latency.png"]
    paths[0].write_text(json.dumps(results, indent=2) + "\n")
    paths[1].write_text(markdown(results))
    chart(results, paths[2])
    return paths


def _s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def markdown(results: dict[str, Any]) -> str:
    meta, m = results["meta"], results["metrics"]
    dev_pkgs = meta["images"].get("dev", {})
    lines = [
        f"# shipyard bench: {meta['started']} ({meta['mode']} mode)",
        "",
        f"{meta['cpu_count']} CPUs ({meta['cpu_model']}), {meta['memory_gib']} GiB; Docker "
        f"{meta['tools']['docker_engine']}; host Python {meta['tools']['python']}; in the dev image: "
        + ", ".join(f"{k} {v}" for k, v in dev_pkgs.items() if v)
        + f". Commit {meta['git_commit']}{' (with uncommitted changes)' if meta['git_dirty'] else ''}.",
        "",
        "| what | p50 | p95 | max | n | target | met |",
        "|---|---|---|---|---|---|---|",
    ]
    met = {t["name"]: t for t in results["targets"]}
    for key, label in LOOPS:
        d, names = m[key], [t.name for t in TARGETS if t.metric.startswith(f"{key}.")]
        target = "; ".join(f"{t.metric.rsplit('.', 1)[1]} {met[t.name]['target']}" for t in TARGETS if t.name in names)
        verdict = " ".join("yes" if met[n]["met"] else "**no**" for n in names)
        lines.append(
            f"| {label.replace(chr(10), ' ')} | {_s(d['p50'])} | {_s(d['p95'])} | {_s(d['max'])} | {d['n']} "
            f"| {target or '-'} | {verdict or '-'} |"
        )
    image = m["prod_image"]
    others = {
        "naive loop / synced loop (p50s)": f"{m['naive_over_synced']:.1f}x",
        "prod code-only rebuild": _s(m["prod_code_only_rebuild"]["seconds"]),
        "prod image over its base": f"{image['over_base_mb']:.1f} MB ({image['over_base_mib']:.1f} MiB)",
    }
    for name, value in others.items():
        t = met[name]
        lines.append(f"| {name} | {value} | | | | {t['target']} | {'yes' if t['met'] else '**no**'} |")
    lines.append(
        f"| prod image, its base {image['base_image']} | {image['prod_mib']:.1f} MiB, base "
        f"{image['base_bytes'] / 2**20:.1f} MiB | | | | | |"
    )
    floor = m["cold_start"]
    for where, label in (("dev", "dev image"), ("dev_pod", "running dev pod"), ("prod", "prod image")):
        for kind, d in floor[where].items():
            lines.append(
                f"| cold start, {label}: {kind.replace('_', ' ')} | {_s(d['p50'])} | {_s(d['p95'])} "
                f"| {_s(d['max'])} | {d['n']} | (floor) | |"
            )
    lines.append(f"| web edit-to-served / dev app cold start (p50s) | {m['web_edit_over_floor']:.1f}x | | | | | |")
    lines += ["", "## Where the time goes (p50 of each phase, seconds)", ""]
    lines += ["| loop | " + " | ".join(PHASES) + " | total |", "|---" * (len(PHASES) + 2) + "|"]
    for key, label in LOOPS:
        p = m[key]["phases_p50"]
        lines.append(
            f"| {label.replace(chr(10), ' ')} | "
            + " | ".join("-" if p.get(k) is None else f"{p[k]:.2f}" for k in PHASES)
            + f" | {m[key]['p50']:.2f} |"
        )
    lines += ["", PHASE_NOTE, ""]
    lines += cluster_markdown(m, met)
    lines += ["", *footprint_markdown(m, met)]
    if "first_run" in m:
        lines += ["", *first_run_markdown(m, met)]
    lines += ["", "## Throughput of the prod image (gunicorn, Celery)", ""]
    lines += ["| what | per second | latency p50 | latency p95 | n | ok |", "|---|---|---|---|---|---|"]
    for name, w in m["web_throughput"].items():
        lines.append(
            f"| GET {w['path']} ({name}), {w['concurrency']} concurrent | {w['requests_per_second']:.0f} requests "
            f"| {w['latency_p50'] * 1000:.0f} ms | {w['latency_p95'] * 1000:.0f} ms | {w['requests']} | {w['ok']:.0%} |"
        )
    c = m["celery_throughput"]
    lines.append(
        f"| jobs through API, broker, worker, PostgreSQL ({c['concurrency']} concurrent submitters) "
        f"| {c['jobs_per_second']:.1f} jobs | {c['submit_latency_p50'] * 1000:.0f} ms (submit) "
        f"| {c['submit_latency_p95'] * 1000:.0f} ms (submit) | {c['jobs']} | |"
    )
    return "\n".join(lines) + "\n"


def _verdict(target: dict[str, Any] | None) -> str:
    """The target and met columns of a table row."""
    return "- | -" if target is None else f"{target['target']} | {'yes' if target['met'] else '**no**'}"


def cluster_markdown(m: dict[str, Any], met: dict[str, dict[str, Any]]) -> list[str]:
    """The real tools on the test cluster: edit-to-served and start-up, then where an edit's time goes."""
    lines = ["## Through the real skaffold dev and tilt up on the test cluster", ""]
    lines += ["| what | p50 | p95 | max | n | target | met |", "|---|---|---|---|---|---|---|"]
    for key, label in CLUSTER_LOOPS:
        d = m[key]
        named = [t for t in TARGETS if t.metric.startswith(f"{key}.")]
        target = "; ".join(f"{t.metric.rsplit('.', 1)[1]} {met[t.name]['target']}" for t in named)
        verdict = " ".join("yes" if met[t.name]["met"] else "**no**" for t in named)
        lines.append(
            f"| {label.replace(chr(10), ' ')} | {_s(d['p50'])} | {_s(d['p95'])} | {_s(d['max'])} | {d['n']} "
            f"| {target or '-'} | {verdict or '-'} |"
        )
    for tool in ("skaffold", "tilt"):
        d = m.get(f"{tool}_lock_to_served")  # full runs only
        if d:
            lines.append(
                f"| {tool}: a new dependency, from `invoke lock` typed to served by the rebuilt image "
                f"| {_s(d['p50'])} | {_s(d['p95'])} | {_s(d['max'])} | {d['n']} | - | - |"
            )
    for tool in ("skaffold", "tilt"):
        verdict = _verdict(met.get(f"{tool} dev: from nothing to every workload Ready"))
        lines.append(
            f"| {tool}: from the command to every workload Ready | {_s(m[f'{tool}_to_all_ready'])} "
            f"| | | 1 | {verdict} |"
        )
    r = m["web_in_pod_reload"]
    lines.append(
        f"| web reload in the pod (edit-to-served less the copy) | {_s(r['p50'])} | {_s(r['p95'])} "
        f"| {_s(r['max'])} | {r['n']} | {_verdict(met['web reload in the pod p50'])} |"
    )
    for what, metric, keys in (
        ("web edit", "web_edit_to_served", CLUSTER_PHASES),
        ("worker edit", "worker_edit_to_new_result", CLUSTER_WORKER_PHASES),
    ):
        lines += ["", f"| {what} through | " + " | ".join(k.removeprefix("to_") for k in keys) + " | total |"]
        lines.append("|---" * (len(keys) + 2) + "|")
        for tool in ("skaffold", "tilt"):
            d = m[f"{tool}_{metric}"]
            p = d["phases_p50"]
            lines.append(
                f"| {tool} | "
                + " | ".join("-" if p.get(k) is None else f"{p[k]:.2f}" for k in keys)
                + f" | {d['p50']:.2f} |"
            )
    return [*lines, "", CLUSTER_NOTE]


PHASES = ("sync", "to_detected", "to_setup", "to_connected", "to_ready", "build", "replace_pod", "to_served")
PHASE_NOTE = (
    "sync: the tar stream into the container (`docker exec`, as `kubectl exec`); detected: until the reloader "
    "logged the change; setup: until the new web process had Django set up (runserver's \"Watching for file "
    'changes"); connected: until the new worker process reached the broker; ready: until it could serve or '
    'consume ("Starting development server", celery "ready."); served: until the first answer with the new '
    "code. The naive loop: build the dev image, replace the pod (its init container seeds /app "
    "again, then web starts), first answer."
)


# The targets the chart draws as lines, by their metric, with the label each line carries.
CHART_TARGETS = (
    ("web_edit_to_served.p50", "web p50 target, in the pod"),
    ("skaffold_web_edit_to_served.p50", "web p50 target, through the tools"),
    ("worker_edit_to_new_result.p50", "worker target"),
)


def _chart_targets() -> list[tuple[float, str]]:
    """(limit, label) for each line, the limit read from TARGETS so the chart and the table agree."""
    limits = {target.metric: target.limit for target in TARGETS}
    return [(limits[metric], label) for metric, label in CHART_TARGETS]


def chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display: write the file only
    import matplotlib.pyplot as plt

    m, meta = results["metrics"], results["meta"]
    drawn = LOOPS + CLUSTER_LOOPS
    samples = [m[key]["samples"] for key, _ in drawn]
    fig, ax = plt.subplots(figsize=(13, 6), dpi=110)
    ax.boxplot(samples, whis=(5, 95), showfliers=False)
    ax.set_xticks(range(1, len(drawn) + 1), [label for _, label in drawn], fontsize=8)
    for i, values in enumerate(samples, start=1):
        xs = [i + (j % 7 - 3) * 0.03 for j in range(len(values))]  # spread equal values apart
        ax.scatter(xs, values, s=14, alpha=0.6, zorder=3)
    for where, what in (("dev", "floor: Django cold start, dev image"), ("dev_pod", "Django cold start, dev pod")):
        floor = m["cold_start"][where]["app"]["p50"]
        ax.axhline(floor, linestyle=":", color="grey")
        ax.text(0.55, floor, f" {what}, {floor:.2f} s", va="bottom", color="grey", fontsize=8)
    for limit, what in _chart_targets():
        ax.axhline(limit, linestyle="--", color="tab:red", alpha=0.4, linewidth=0.8)
        ax.text(len(drawn) + 0.45, limit, what, va="bottom", ha="right", color="tab:red", fontsize=8)
    ax.axvline(len(LOOPS) + 0.5, color="grey", linewidth=0.8)  # left: in the pod; right: through the real tools
    ax.set_yscale("log")
    ax.set_ylabel("seconds from edit to new code answering (log scale)")
    ax.set_title(
        f"shipyard dev loop, {meta['mode']} run {meta['started']}: {meta['cpu_count']} CPUs, "
        f"Docker {meta['tools']['docker_engine']}",
        fontsize=10,
    )
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
