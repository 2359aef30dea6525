"""What the dev-loop tests share: long-running tools, port-forwards, HTTP checks.

skaffold and Tilt run in a scratch copy of the project (tasks/devloop/scratch.py), so a test's
edits never touch the checkout itself.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tasks.cluster.client import Cluster, env, kubectl
from tasks.devloop.running import Running
from tasks.paths import ROOT
from tests.support.processes import free_port, wait_until


def get_json(url: str, timeout: float = 2) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError):
        return None


def post_job(base: str, text: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base}/api/jobs", data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        return json.loads(response.read())


def job_done(base: str, job_id: str, timeout: float = 60) -> dict[str, Any]:
    return wait_until(
        f"job {job_id} to be done",
        lambda: (job := get_json(f"{base}/api/jobs/{job_id}")) and job["status"] == "done" and job,
        timeout,
    )


def pods(cluster: Cluster, ns: str, component: str) -> list[dict[str, Any]]:
    out = kubectl(cluster, "-n", ns, "get", "pods", "-l", f"app.kubernetes.io/component={component}", "-o", "json")
    # Only the workload's own pods (owned by its ReplicaSet or Job), never a test's probe pods.
    items = json.loads(out.stdout)["items"]
    return [p for p in items if p["metadata"].get("ownerReferences") and not p["metadata"].get("deletionTimestamp")]


def web_pod(cluster: Cluster, ns: str) -> tuple[str, str] | None:
    """(uid, image) of the web pod, or None while a rollout has more than one."""
    found = pods(cluster, ns, "web")
    return (found[0]["metadata"]["uid"], found[0]["spec"]["containers"][0]["image"]) if len(found) == 1 else None


def background(
    argv: list[str], cwd: Path, cluster: Cluster, log: Path, environ: dict[str, str] | None = None
) -> Running:
    """A long-running tool against CLUSTER, its output in LOG."""
    return Running(argv, cwd, environ or env(cluster), log)


def port_forward(cluster: Cluster, ns: str, target: str, remote: int, log: Path) -> tuple[Running, str]:
    """kubectl port-forward TARGET to a free loopback port; (the process, http://127.0.0.1:PORT)."""
    local = free_port()
    forward = background(
        [*_kubectl_argv(cluster), "-n", ns, "port-forward", target, f"{local}:{remote}", "--address", "127.0.0.1"],
        ROOT,
        cluster,
        log,
    )
    wait_until(f"the port-forward to {target}", lambda: "Forwarding from" in forward.output(), 30)
    return forward, f"http://127.0.0.1:{local}"


def _kubectl_argv(cluster: Cluster) -> list[str]:
    from tasks.cluster.client import kubectl_argv

    return kubectl_argv(cluster)
