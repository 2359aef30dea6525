"""What a developer costs: a namespace's footprint from the kubelet's Summary API, the dev overlay's requests and
developers per node. The arithmetic runs on a Summary and a pod list captured from the test cluster
(fixtures/: a dev stack under `skaffold run`, with CoreDNS beside it; trimmed to the fields read); one test
reads a real namespace on the cluster."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tasks.bench import developer_cost as cost
from tasks.bench import footprint
from tasks.bench.footprint import MIB, Reading, Usage
from tasks.bench.report import TARGETS, footprint_markdown, targets

FIXTURES = Path(__file__).parent / "fixtures"
SUMMARY = json.loads((FIXTURES / "summary.json").read_text())
PODS = json.loads((FIXTURES / "pods.json").read_text())
NAMESPACE = "fp-explore-d95ec3"
STACK = {"web", "worker", "beat", "postgres", "redis"}


def test_a_summary_gives_the_namespaces_pods_only_with_their_pod_cgroups_figures():
    pods = footprint.pods_in_summary(SUMMARY, NAMESPACE)
    assert len(pods) == 5 and not any(name.startswith("coredns") for name in pods)
    assert footprint.pods_in_summary(SUMMARY, "kube-system").keys() == {"coredns-7cd4cc8bf8-8fbhw"}
    assert footprint.pods_in_summary(SUMMARY, "nobody-here") == {}
    entry = next(p for p in SUMMARY["pods"] if p["podRef"]["name"].startswith("web-"))
    assert pods[entry["podRef"]["name"]] == Usage(
        working_set=entry["memory"]["workingSetBytes"],
        containers_working_set=entry["containers"][0]["memory"]["workingSetBytes"],
        cpu_millicores=round(entry["cpu"]["usageNanoCores"] / 1e6, 3),
    )
    web = pods[entry["podRef"]["name"]]
    assert 50 * MIB < web.containers_working_set < web.working_set < 512 * MIB  # the pod holds more than its container
    # PostgreSQL's pod figures were 10 s older than its container's, which had grown since: the fresher, larger one.
    postgres = next(p for p in SUMMARY["pods"] if p["podRef"]["name"] == "postgres-0")
    assert postgres["memory"]["workingSetBytes"] < postgres["containers"][0]["memory"]["workingSetBytes"]
    assert pods["postgres-0"].working_set == postgres["containers"][0]["memory"]["workingSetBytes"]


def test_a_pod_the_kubelet_has_no_fresh_pod_figures_for_counts_its_containers():
    containers = [
        {"name": "a", "memory": {"workingSetBytes": 3 * MIB}, "cpu": {"usageNanoCores": 2_000_000}},
        {"name": "b", "memory": {"workingSetBytes": MIB}},
    ]
    new = {"podRef": {"name": "new", "namespace": "ns"}, "containers": containers, "memory": {"usageBytes": 0}}
    assert footprint.pod_usage(new) == Usage(4 * MIB, 4 * MIB, 2.0)
    zeros = {**new, "memory": {"workingSetBytes": 0}, "cpu": {"usageNanoCores": 0}}
    assert footprint.pod_usage(zeros) == Usage(4 * MIB, 4 * MIB, 2.0)
    older = {**new, "memory": {"workingSetBytes": 2 * MIB}, "cpu": {"usageNanoCores": 1_000_000}}
    assert footprint.pod_usage(older) == Usage(4 * MIB, 4 * MIB, 1.0)


def test_pods_belong_to_their_component_else_their_owner_else_themselves():
    workloads, nodes = footprint.live_pods(PODS)
    assert set(workloads.values()) == STACK  # the migrate Job's pod has finished: not counted
    assert nodes == {"shipyard-test"}
    unlabelled = {
        "metadata": {
            "name": "api-5d8f7c-x2x9q",
            "labels": {"pod-template-hash": "5d8f7c"},
            "ownerReferences": [{"kind": "ReplicaSet", "name": "api-5d8f7c"}],
        }
    }
    assert footprint.workload_of(unlabelled) == "api"
    ordinal = {"metadata": {"name": "db-1", "ownerReferences": [{"kind": "StatefulSet", "name": "db"}]}}
    assert footprint.workload_of(ordinal) == "db"
    assert footprint.workload_of({"metadata": {"name": "debug", "labels": {"run": "debug"}}}) == "debug"


def test_a_reading_sums_by_workload_and_in_total():
    workloads, _ = footprint.live_pods(PODS)
    reading = Reading(NAMESPACE, footprint.pods_in_summary(SUMMARY, NAMESPACE), workloads)
    by_workload = reading.workloads()
    assert set(by_workload) == STACK
    summed = sum(by_workload.values(), Usage())
    assert reading.total().working_set == summed.working_set
    assert reading.total().containers_working_set == summed.containers_working_set
    assert reading.total().cpu_millicores == pytest.approx(summed.cpu_millicores)
    assert 250 * MIB < reading.total().working_set < 600 * MIB  # what the stack held when captured
    two = Reading("ns", {"web-a": Usage(1, 1, 1.0), "web-b": Usage(2, 2, 2.0), "x": Usage(4, 4, 4.0)}, {"web-a": "web"})
    assert two.workloads() == {"web": Usage(1, 1, 1.0), "web-b": Usage(2, 2, 2.0), "x": Usage(4, 4, 4.0)}


def test_a_window_gives_median_and_max_and_the_totals_max_is_the_most_held_at_once():
    owners = {"web-1": "web", "worker-1": "worker"}
    readings = [
        Reading("ns", {"web-1": Usage(100 * MIB, 90 * MIB, 5.0), "worker-1": Usage(80 * MIB, 70 * MIB, 4.0)}, owners),
        Reading("ns", {"web-1": Usage(140 * MIB, 120 * MIB, 200.0), "worker-1": Usage(80 * MIB, 70 * MIB, 6)}, owners),
        Reading("ns", {"web-1": Usage(100 * MIB, 90 * MIB, 7.0), "worker-1": Usage(120 * MIB, 100 * MIB, 90)}, owners),
    ]
    summary = footprint.summarize(readings, 12.34)
    assert summary["readings"] == 3 and summary["seconds"] == 12.3 and summary["namespace"] == "ns"
    assert summary["workloads"]["web"]["working_set_mib"] == {"median": 100.0, "max": 140.0}
    assert summary["workloads"]["web"]["cpu_millicores"] == {"median": 7.0, "max": 200.0}
    assert summary["pods"]["worker-1"]["workload"] == "worker"
    assert summary["total"]["working_set_mib"] == {"median": 220.0, "max": 220.0}  # never 140 + 120 at once
    assert summary["total"]["containers_working_set_mib"] == {"median": 190.0, "max": 190.0}
    with pytest.raises(ValueError):
        footprint.summarize([], 1)


@pytest.mark.parametrize(
    ("text", "value"),
    [("256Mi", 256 * MIB), ("1Gi", 2**30), ("128M", 128e6), ("100m", 0.1), ("2", 2), ("1.5", 1.5), ("1e3", 1000)],
)
def test_quantities_read_as_kubernetes_writes_them(text, value):
    assert cost.quantity(text) == value


def test_a_quantity_with_an_unknown_suffix_is_refused():
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        cost.quantity("12 MiB")


def container(name: str, memory: str, cpu: str = "10m", **extra) -> dict:
    return {"name": name, "resources": {"requests": {"memory": memory, "cpu": cpu}}, **extra}


def test_a_pod_requests_its_containers_or_its_largest_init_container_whichever_is_more():
    seeded = {"initContainers": [container("seed", "32Mi")], "containers": [container("web", "256Mi", "100m")]}
    assert cost.pod_requests(seeded) == (256 * MIB, 100.0)
    big_init = {"initContainers": [container("load", "1Gi", "500m")], "containers": [container("app", "128Mi")]}
    assert cost.pod_requests(big_init) == (2**30, 500.0)
    limit_only = {"containers": [{"name": "a", "resources": {"limits": {"memory": "64Mi", "cpu": "1"}}}]}
    assert cost.pod_requests(limit_only) == (64 * MIB, 1000.0)  # the API server makes the limit the request
    with_overhead = {"containers": [container("a", "64Mi")], "overhead": {"memory": "16Mi", "cpu": "5m"}}
    assert cost.pod_requests(with_overhead) == (80 * MIB, 15.0)


def test_a_sidecar_counts_beside_the_containers_and_the_init_containers_after_it():
    spec = {
        "initContainers": [
            container("proxy", "64Mi", "50m", restartPolicy="Always"),
            container("migrate", "512Mi", "100m"),
        ],
        "containers": [container("app", "128Mi", "100m")],
    }
    assert cost.pod_requests(spec) == ((512 + 64) * MIB, 150.0)
    spec["initContainers"][1] = container("migrate", "32Mi", "10m")
    assert cost.pod_requests(spec) == ((128 + 64) * MIB, 150.0)


def test_stack_requests_count_replicas_and_keep_run_to_completion_pods_apart():
    def workload(kind: str, name: str, spec: dict, **extra) -> dict:
        pod = {"template": {"spec": spec}, **extra}
        return {"kind": kind, "metadata": {"name": name, "labels": {}}, "spec": pod}

    objects = [
        workload("Deployment", "web", {"containers": [container("web", "256Mi", "100m")]}, replicas=2),
        workload(
            "Deployment", "beat", {"containers": [container("beat", "64Mi", "10m")]}, strategy={"type": "Recreate"}
        ),
        workload("StatefulSet", "db", {"containers": [container("db", "128Mi", "50m")]}),
        workload("Job", "migrate", {"containers": [container("migrate", "256Mi", "50m")]}),
        {"kind": "Service", "metadata": {"name": "web"}, "spec": {}},
    ]
    requests = cost.stack_requests(objects)
    web = {"kind": "Deployment", "replicas": 2, "surge_pods": 1, "memory_mib": 512, "cpu_millicores": 200}
    assert requests["workloads"]["web"] == web  # a surge of 25% of 2 replicas, rounded up
    assert requests["workloads"]["beat"]["surge_pods"] == 0
    assert requests["running"] == {"memory_mib": 704.0, "cpu_millicores": 260.0}
    # Rolling out: a third web pod beside the two, and the Job's pod.
    assert requests["deploying"] == {"memory_mib": 704.0 + 256 + 256, "cpu_millicores": 260.0 + 100 + 50}


def test_a_rolling_update_surges_as_its_deployment_says():
    def deployment(replicas: int, rolling: dict | None) -> dict:
        strategy = {"type": "RollingUpdate", **({"rollingUpdate": rolling} if rolling else {})}
        return {"kind": "Deployment", "spec": {"replicas": replicas, "strategy": strategy}}

    assert cost.surge_pods(deployment(1, None)) == 1
    assert cost.surge_pods(deployment(8, None)) == 2
    assert cost.surge_pods(deployment(4, {"maxSurge": "50%"})) == 2
    assert cost.surge_pods(deployment(4, {"maxSurge": 0, "maxUnavailable": 1})) == 0
    assert cost.surge_pods({"kind": "StatefulSet", "spec": {"replicas": 3}}) == 0


@pytest.mark.k8s
def test_the_dev_overlays_requests_are_its_five_workloads_and_the_migrate_job():
    from tasks.k8s.kustomize import render

    objects = render("dev")
    requests = cost.stack_requests(objects)
    assert set(requests["workloads"]) == STACK | {"migrate"}
    running = [w for name, w in requests["workloads"].items() if name != "migrate"]
    assert requests["running"]["memory_mib"] == pytest.approx(sum(w["memory_mib"] for w in running))
    # Rolling out: one surge pod each for the Deployments that roll (web, worker), and the migrate Job's pod.
    rolled = [w for w in requests["workloads"].values() if w["surge_pods"] or w["kind"] == "Job"]
    assert sorted(w["kind"] for w in rolled) == ["Deployment", "Deployment", "Job"]
    extra = sum(w["memory_mib"] / w["replicas"] for w in rolled)
    assert requests["deploying"]["memory_mib"] == pytest.approx(requests["running"]["memory_mib"] + extra)
    assert requests["workloads"]["beat"]["surge_pods"] == 0  # Recreate: beat runs exactly once
    web = next(o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "web")
    asked = web["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"]
    assert requests["workloads"]["web"]["memory_mib"] == cost.quantity(asked) / MIB  # seed-app's is smaller


def test_a_node_keeps_gkes_reservation_the_eviction_threshold_and_daemonsets_from_the_stacks():
    # 8 GiB: 25% of 4 GiB + 20% of 4 GiB = 1843.2 MiB reserved; 2 vCPUs: 6% + 1% of a core = 70m.
    assert cost.for_stacks(8) == (8192 - 1843.2 - 100 - 256, 2000 - 70 - 200)
    # 32 GiB: 1843.2 + 10% of 8 GiB + 6% of 16 GiB = 3645.4 MiB; 8 vCPUs: 70m + 0.5% of 2 + 0.25% of 4 = 90m.
    assert cost.for_stacks(32) == (round(32768 - 3645.44 - 356, 1), 8000 - 90 - 200)
    rows = cost.per_node(working_set_mib=400, requests_mib=960, requests_millicores=370)
    assert [r["node_gib"] for r in rows] == [8, 16, 32]
    assert rows[0] == {
        "node_gib": 8,
        "vcpus": 2,
        "for_stacks_mib": 5992.8,
        "for_stacks_millicores": 1730,
        "by_working_set": 14,
        "by_memory_requests": 6,
        "by_cpu_requests": 4,
    }
    assert cost.fits(100, 0) == 0


def window(total_mib: float, web_mib: float) -> dict:
    figures = {
        "working_set_mib": {"median": web_mib, "max": web_mib},
        "containers_working_set_mib": {"median": web_mib - 20, "max": web_mib - 20},
        "cpu_millicores": {"median": 5.0, "max": 50.0},
    }
    total = {**figures, "working_set_mib": {"median": total_mib - 10, "max": total_mib}}
    return {"readings": 3, "seconds": 6.0, "workloads": {"web": figures}, "total": total, "pods": {}}


def test_the_cost_packs_by_the_edit_peak_and_the_target_judges_the_median_at_rest():
    requests = {
        "workloads": {
            "web": {"kind": "Deployment", "replicas": 1, "surge_pods": 1, "memory_mib": 256, "cpu_millicores": 100}
        },
        "running": {"memory_mib": 256.0, "cpu_millicores": 100.0},
        "deploying": {"memory_mib": 512.0, "cpu_millicores": 200.0},
    }
    metrics = {"footprint": cost.cost(window(300, 120), window(600, 150), requests)}
    assert cost.PACK_BY == "edits"
    assert metrics["footprint"]["nodes"][0]["by_working_set"] == 9  # 5992.8 MiB / 600 MiB, not / 300
    assert metrics["footprint"]["assumptions"]["daemonsets_mib"] == cost.DAEMONSETS_MIB
    judged = {t["name"]: t for t in targets(metrics)}
    assert judged["one developer at rest: working set"] == {
        "name": "one developer at rest: working set",
        "value": 290,
        "target": "<= 300 MiB",
        "met": True,
    }
    assert "footprint" in {t.metric.split(".")[0] for t in TARGETS}
    table = "\n".join(footprint_markdown(metrics, judged))
    assert "| web | 120.0 (100.0) | 5 | 150.0 (130.0) | 50 | 256 | 100 |" in table
    assert "| 8 GiB, 2 vCPUs | 5993 MiB, 1730m | 9 | 23 | 17 |" in table
    assert "one developer at rest <= 300 MiB, met: yes" in table


@pytest.mark.cluster
@pytest.mark.slow
def test_the_footprint_of_a_namespace_on_the_cluster_is_its_own_pods(cluster):
    from tests.cluster.commands import apply, busybox, delete_namespace, restricted_namespace, wait_ready

    # A shell holding 24 MB in a variable (a loop: the last command of `sh -c` would replace the shell).
    hold = "x=$(head -c 24000000 /dev/zero | tr '\\000' a); while :; do sleep 3600; done"
    mine, theirs = restricted_namespace(cluster, "footprint"), restricted_namespace(cluster, "footprint-other")
    try:
        labelled = {"app.kubernetes.io/component": "holder"}
        apply(
            cluster,
            busybox(cluster, "holder", mine, ["sh", "-c", hold], labels=labelled),
            busybox(cluster, "idle", mine, ["sleep", "3600"]),
            busybox(cluster, "elsewhere", theirs, ["sh", "-c", hold]),
        )
        wait_ready(cluster, mine, "holder", "idle")
        wait_ready(cluster, theirs, "elsewhere")
        deadline, reading = time.monotonic() + 90, None
        while time.monotonic() < deadline:  # the kubelet's figures for a new pod come within its 10-15 s housekeeping
            reading = footprint.read(cluster, mine)
            holder = reading.pods.get("holder")
            if holder and holder.working_set > 24e6 and reading.pods.get("idle"):
                break
            time.sleep(2)
        assert reading is not None and set(reading.pods) == {"holder", "idle"}, reading
        assert 24e6 < reading.pods["holder"].working_set < 128 * MIB
        assert 0 < reading.pods["idle"].working_set < 16 * MIB
        assert all(0 <= usage.cpu_millicores < 2000 for usage in reading.pods.values())
        assert reading.workloads().keys() == {"holder", "idle"}
        assert reading.total() == reading.pods["holder"] + reading.pods["idle"]

        rest = footprint.at_rest(cluster, mine, seconds=4, every=1)
        assert rest["readings"] >= 3 and set(rest["pods"]) == {"holder", "idle"}
        assert rest["total"]["working_set_mib"]["max"] >= rest["workloads"]["holder"]["working_set_mib"]["max"] > 22
    finally:
        delete_namespace(cluster, mine)
        delete_namespace(cluster, theirs)


def test_bench_footprint_writes_its_tables_and_the_targets_it_judged(tmp_path):
    from tasks.bench.report import write_footprint

    requests = cost.stack_requests([])
    metrics = {"footprint": cost.cost(window(320, 120), window(400, 150), requests)}
    meta = {"started": "2026-12-07T01:00:00+00:00", "mode": "footprint, quick", "cpu_count": 2, "cpu_model": "x"}
    results = {
        "meta": {**meta, "memory_gib": 8, "git_commit": "abc1234", "git_dirty": False},
        "metrics": metrics,
        "targets": targets(metrics),
    }
    json_path, md_path = write_footprint(tmp_path / "run", results)
    assert json.loads(json_path.read_text())["metrics"]["footprint"]["rest"]["total"]["working_set_mib"]["max"] == 320
    text = md_path.read_text()
    assert text.startswith("# shipyard bench: 2026-12-07T01:00:00+00:00 (footprint, quick)\n")
    assert "## What a developer costs" in text and "| web | 120.0 (100.0) |" in text
    assert "| one developer at rest: working set | 310 | <= 300 MiB | **no** |" in text
