"""On the real cluster, a scraper with Kubernetes pod discovery finds and scrapes web, worker and beat pods.

Its Prometheus scrape config is made from the monitoring component's PodMonitors (scrape.py), so a pod
it finds is one the PodMonitors select, through the port they name. The component's NetworkPolicy is
applied, so every scrape here crosses it from namespace `monitoring`; a pod of another namespace is refused.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from tasks import ports
from tasks.cluster.client import kubectl
from tests.cluster.commands import apply, busybox, delete_namespace, exec_in, restricted_namespace, wait_ready
from tests.cluster.monitoring import scrape, scraper
from tests.support.processes import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]

WORKLOADS = ("web", "worker", "beat")
COMPONENT = scrape.meta_label("app.kubernetes.io/component")
METRICS_PORT = ports.METRICS  # the contract: container port `metrics`, path /metrics
T = TypeVar("T")


def settle(read: Callable[[], T], good: Callable[[T], bool], timeout: float, interval: float = 2) -> T:
    """READ until GOOD holds of its value or TIMEOUT passes; the last value, for the caller's assert to show."""
    deadline = time.monotonic() + timeout
    while not good(value := read()) and time.monotonic() < deadline:
        time.sleep(interval)
    return value


def names(monitored, component: str) -> set[str]:
    return {p["metadata"]["name"] for p in monitored.stack.pods(component)}


def per_pod(monitored, promql: str) -> dict[str, float]:
    return {r["metric"].get("pod", ""): float(r["value"][1]) for r in monitored.api.query(promql)}


def test_every_web_worker_and_beat_pod_is_a_target_and_up(monitored):
    expected = sorted(
        (p["metadata"]["name"], component, f"http://{p['status']['podIP']}:{METRICS_PORT}/metrics", "up", "")
        for component in WORKLOADS
        for p in monitored.stack.pods(component)
    )
    assert [t[1] for t in expected].count("web") == 2, expected  # the overlay's two web replicas

    def targets() -> list[tuple[Any, ...]]:
        return sorted(
            (t["labels"].get("pod"), t["discoveredLabels"].get(COMPONENT), t["scrapeUrl"], t["health"], t["lastError"])
            for t in monitored.api.targets()
        )

    # Discovery is immediate; the first scrape comes within one interval of it.
    assert settle(targets, lambda found: found == expected, 120) == expected
    # A scrape's samples become queryable a moment after the target shows its health.
    ones = {pod: 1.0 for pod, *_ in expected}
    up = f'up{{namespace="{monitored.stack.namespace}"}}'
    assert settle(lambda: per_pod(monitored, up), lambda got: got == ones, 30, 1) == ones


def test_requests_and_a_job_arrive_as_series_from_web_and_worker_pods(monitored):
    stack, ns = monitored.stack, monitored.stack.namespace
    load = stack.load(20, 2).result()
    assert load["ok"] == 20, load
    accepted = stack.load(1, 1, "--submit", "counted by the scraper").result()["accepted"]
    assert [status for _, status, _ in stack.wait_jobs_done(accepted)] == ["done"]

    promql = f'sum by (pod) (shipyard_http_requests_total{{namespace="{ns}"}})'
    # 20 pages and one job submitted; probes are not counted.
    requests = settle(lambda: per_pod(monitored, promql), lambda got: sum(got.values()) >= 21, 90)
    print(f"{promql} -> {requests}")
    assert sum(requests.values()) >= 21 and set(requests) <= names(monitored, "web"), requests
    task = 'task="analysis.analyse_text", outcome="success"'
    tasks = settle(
        lambda: per_pod(monitored, f'sum by (pod) (shipyard_celery_tasks_total{{namespace="{ns}", {task}}})'),
        lambda got: sum(got.values()) >= 1,
        90,
    )
    assert sum(tasks.values()) >= 1 and set(tasks) <= names(monitored, "worker"), tasks
    beat = names(monitored, "beat")
    tick = f'shipyard_beat_last_tick_timestamp_seconds{{namespace="{ns}"}}'
    assert set(settle(lambda: per_pod(monitored, tick), lambda got: set(got) == beat, 60)) == beat


def test_the_scraper_may_read_pods_only_in_the_app_namespace(monitored):
    cluster, ns = monitored.stack.cluster, monitored.stack.namespace
    account = f"system:serviceaccount:{scraper.NAMESPACE}:{scraper.NAME}"

    def may(*args: str) -> str:
        return kubectl(cluster, "auth", "can-i", *args, f"--as={account}", check=False).stdout.strip()

    assert [may(verb, "pods", "-n", ns) for verb in ("get", "list", "watch")] == ["yes", "yes", "yes"]
    assert may("list", "pods", "--all-namespaces") == "no"
    assert may("list", "pods", "-n", scraper.NAMESPACE) == "no"
    assert may("get", "secrets", "-n", ns) == "no"


def test_a_pod_outside_namespace_monitoring_cannot_reach_the_metrics_port(monitored):
    cluster = monitored.stack.cluster
    web = monitored.stack.pods("web")[0]
    pod, ip = web["metadata"]["name"], web["status"]["podIP"]
    outsider = restricted_namespace(cluster, "outsider")
    try:
        apply(cluster, busybox(cluster, "outsider", outsider, ["sleep", "3600"]))
        wait_ready(cluster, outsider, "outsider")

        def fetch(port: int, path: str):  # busybox's `wget -T` segfaults: timeout(1) bounds the request
            return exec_in(cluster, outsider, "outsider", "timeout", "5", "wget", "-qO-", f"http://{ip}:{port}{path}")

        # The outsider does reach that pod, on the port web-ingress opens to everyone...
        wait_until(
            f"the outsider to reach {pod}'s http port", lambda: fetch(ports.WEB, "/healthz").returncode == 0, 30, 1
        )
        # ...but not its metrics port,
        refused = fetch(METRICS_PORT, "/metrics")
        assert refused.returncode != 0 and "shipyard_" not in refused.stdout, refused
        # which the scraper, in namespace monitoring, does reach.
        (target,) = [t for t in monitored.api.targets() if t["labels"].get("pod") == pod]
        assert target["health"] == "up", target
    finally:
        delete_namespace(cluster, outsider)
