"""`skaffold run` of the dev overlay into a PodSecurity-restricted namespace, on the real cluster.

One deploy for the module, run with a canary variable in skaffold's environment: every workload
Ready, the migrate Job Complete, nothing of the caller's environment in the cluster, a job
submitted through web's Service done by the worker and stored in the in-cluster PostgreSQL, the
NetworkPolicies enforced around the data stores, and `invoke metrics` looking at what web, worker
and beat measured.
"""

from __future__ import annotations

import json
import random
import string
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.cluster.client import Cluster, env, kubectl
from tasks.devloop.running import Running
from tasks.devloop.scratch import scratch_copy
from tasks.paths import ROOT
from tests.cluster import canary
from tests.cluster.canary import with_canary
from tests.cluster.commands import delete_namespace, restricted_namespace
from tests.cluster.loop import get_json, job_done, pods, port_forward, post_job
from tests.support.processes import free_port, wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]
WORKLOADS = ("web", "worker", "beat")


class Deployed:
    def __init__(self, cluster: Cluster, copy, namespace: str):
        self.cluster, self.copy, self.namespace = cluster, copy, namespace

    def kubectl(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return kubectl(self.cluster, "-n", self.namespace, *args, **kwargs)

    def skaffold(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        # The debootstrap base: nothing is pulled from a registry (skaffold.yaml, profile offline).
        argv = ["skaffold", *args, "--profile", "offline", "--namespace", self.namespace]
        return subprocess.run(
            argv, cwd=self.copy, env=with_canary(env(self.cluster)), capture_output=True, text=True, timeout=timeout
        )


@pytest.fixture(scope="module")
def deployed(cluster_session, tmp_path_factory):
    cluster = cluster_session.ensure_stack()
    copy = scratch_copy(tmp_path_factory.mktemp("skaffold-run"))
    ns = restricted_namespace(cluster, "run")
    stack = Deployed(cluster, copy, ns)
    result = stack.skaffold("run")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    yield stack
    delete_namespace(cluster, ns)


def test_every_workload_is_ready_and_migrations_completed(deployed):
    for kind in ("deployment", "statefulset"):
        ready = deployed.kubectl("get", kind, "-o", "json")
        for item in json.loads(ready.stdout)["items"]:
            status = item["status"]
            assert status.get("readyReplicas") == item["spec"]["replicas"], (kind, item["metadata"]["name"], status)
    # web is Ready only once the schema is migrated; the Job's pod may still be exiting.
    deployed.kubectl("wait", "--for=condition=complete", "job/migrate", "--timeout=120s")
    job = json.loads(deployed.kubectl("get", "job", "migrate", "-o", "json").stdout)
    assert job["status"].get("succeeded") == 1, job["status"]
    assert job["status"].get("failed", 0) == 0  # the first pod waited for PostgreSQL instead of failing
    waited = deployed.kubectl("logs", "job/migrate", "-c", "wait-for-db").stdout
    assert "the database at postgres:5432 is ready" in waited


def test_the_namespace_enforces_podsecurity_restricted(deployed):
    labels = json.loads(deployed.kubectl("get", "namespace", deployed.namespace, "-o", "json").stdout)
    assert labels["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_nothing_of_the_callers_environment_reaches_the_cluster(deployed):
    read, carriers = canary.search(deployed.cluster, deployed.namespace)
    assert read >= 10  # the pods, the Job, ConfigMaps, Secrets
    assert carriers == []


@pytest.fixture(scope="module")
def job_through_web(deployed, tmp_path_factory) -> tuple[dict, dict]:
    """One job submitted through web's Service and done by the worker: (as submitted, as done). A fixture, so
    each test that reads its traces gets it whatever ran before."""
    log = tmp_path_factory.mktemp("job") / "pf.log"
    forward, base = port_forward(deployed.cluster, deployed.namespace, "service/web", 80, log)
    try:
        text = "through the cluster " + "".join(random.choices(string.ascii_lowercase, k=8))
        job = post_job(base, text)
        try:
            return {**job, "text": text}, job_done(base, job["id"])
        except AssertionError as error:
            logs = deployed.kubectl("logs", "deployment/worker", "-c", "worker", "--tail", "40", check=False)
            raise AssertionError(f"{error}\nworker log:\n{logs.stdout}{logs.stderr}") from None
    finally:
        forward.stop()


def test_a_job_through_webs_service_is_done_by_the_worker_and_stored(deployed, job_through_web):
    job, done = job_through_web
    assert done["result"]["words"] == len(job["text"].split())
    query = f"SELECT status, attempts FROM analysis_job WHERE id = '{job['id']}'"
    row = deployed.kubectl("exec", "postgres-0", "--", "psql", "-U", "shipyard", "-d", "shipyard", "-tAc", query)
    assert row.stdout.strip() == "done|1"


def probe(deployed: Deployed, labels: dict[str, str], target: str, name: str) -> str:
    """A busybox pod with these labels tries DNS and a TCP connect; its one-line verdict."""
    script = (
        f"nslookup {target}.{deployed.namespace}.svc.cluster.local >/dev/null 2>&1 && echo dns-ok || echo dns-fail; "
        f"timeout 5 nc -w 2 {target} {dict(postgres=5432, redis=6379)[target]} </dev/null 2>/dev/null "
        "&& echo connect-ok || echo connect-fail"
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {"runAsNonRoot": True, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [
                {
                    "name": "probe",
                    "image": "busybox:1.35",
                    "command": ["sh", "-c", f"sleep 3; {script}"],
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                }
            ],
        },
    }
    deployed.kubectl("apply", "-f", "-", input=json.dumps(pod))
    deployed.kubectl("wait", f"pod/{name}", "--for=jsonpath={.status.phase}=Succeeded", "--timeout=90s")
    return " ".join(deployed.kubectl("logs", name).stdout.split())


@pytest.mark.parametrize("target", ["postgres", "redis"])
def test_a_pod_without_the_apps_labels_cannot_reach_the_data_stores(deployed, target):
    assert probe(deployed, {"run": "intruder"}, target, f"intruder-{target}") == "dns-ok connect-fail"


@pytest.mark.parametrize("target", ["postgres", "redis"])
def test_a_pod_with_the_apps_labels_can(deployed, target):
    labels = {
        "app.kubernetes.io/name": "shipyard",
        "app.kubernetes.io/part-of": "shipyard",
        "app.kubernetes.io/component": "worker",
    }
    assert probe(deployed, labels, target, f"app-{target}") == "dns-ok connect-ok"


@pytest.mark.parametrize("component", WORKLOADS)
def test_web_worker_and_beat_reach_postgres_and_redis(deployed, component):
    (pod,) = pods(deployed.cluster, deployed.namespace, component)
    check = "import socket; [socket.create_connection((h, p), timeout=5).close() for h, p in (('postgres', 5432), ('redis', 6379))]; print('ok')"  # noqa: E501
    result = deployed.kubectl("exec", pod["metadata"]["name"], "-c", component, "--", "python", "-c", check)
    assert result.stdout.strip() == "ok"


def invoke_metrics(deployed: Deployed, *args: str, log: Path) -> Running:
    argv = [sys.executable, "-m", "invoke", "metrics", "--namespace", deployed.namespace, *args]
    return Running(argv, ROOT, env(deployed.cluster), log)


def test_invoke_metrics_shows_each_workloads_metrics_from_the_dev_loop(deployed, job_through_web, tmp_path):
    shown = invoke_metrics(deployed, "--show", log=tmp_path / "show.log")
    assert shown.process.wait(60) == 0, shown.output()
    parts = dict(part.split(" ", 1) for part in shown.output().split("# ---- ")[1:])
    assert set(parts) == set(WORKLOADS), shown.output()[:2000]
    # The job submitted through web's Service (job_through_web), counted by the web and the worker.
    assert 'shipyard_http_requests_total{method="POST",status="202",view="api-jobs"}' in parts["web"]
    assert 'shipyard_jobs_total{outcome="done"}' in parts["worker"]
    assert "shipyard_beat_last_tick_timestamp_seconds" in parts["beat"]
    assert 'shipyard_celery_queue_length{queue="celery"} 0.0' in parts["beat"]


def test_invoke_metrics_runs_a_prometheus_that_scrapes_the_dev_loop(deployed, tmp_path):
    port = free_port()
    running = invoke_metrics(deployed, "--port", str(port), log=tmp_path / "prometheus.log")
    try:
        started = lambda: "metrics: Prometheus on" in running.output() or not running.alive()  # noqa: E731
        wait_until("Prometheus to start", started, 60)
        assert running.alive(), running.output()
        api = f"http://127.0.0.1:{port}/api/v1/query?query=up"

        def up() -> dict[str, str]:
            answer = get_json(api) or {"data": {"result": []}}
            return {r["metric"]["job"]: r["value"][1] for r in answer["data"]["result"]}

        wait_until("all three workloads scraped and up", lambda: up() == {w: "1" for w in WORKLOADS}, 60)
    finally:
        running.stop(timeout=30)
    assert running.process.returncode == 0, running.output()
