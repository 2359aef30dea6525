"""The fault scenarios' stack on the test cluster: built, deployed, loaded, and read back.

The prod image is built by `skaffold build -p offline,staging` (as staging's is), twice: as checked in (A),
and with a marker in the page (B), for the rolling update. The stack is tests/cluster/faults/overlay, in a
PodSecurity-restricted namespace of its own. Load runs in a pod inside that namespace (load.py), so it
reaches web only through web's Service, and nothing leaves the cluster's own network.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks import ports
from tasks.cluster.client import Cluster, env, kubectl
from tests.cluster.loop import pods
from tests.support.processes import wait_until
from tests.support.restricted import RESTRICTED_CONTAINER, RESTRICTED_POD

HERE = Path(__file__).parent
# What image B's page says and A's never does.
MARKER = "build-b-marker"
TEMPLATE = "app/analysis/templates/analysis/index.html"


def build(cluster: Cluster, copy: Path, out: Path) -> str:
    """The prod image of the project in COPY, pushed to CLUSTER's registry: its reference by digest."""
    result = subprocess.run(
        ["skaffold", "build", "--profile", "offline,staging", "--file-output", str(out)],
        cwd=copy,
        env=env(cluster),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (built,) = json.loads(out.read_text())["builds"]
    assert "@sha256:" in built["tag"], built
    return built["tag"]


def mark(copy: Path) -> None:
    """Image B's change: a marker in the page's title."""
    page = copy / TEMPLATE
    text = page.read_text()
    assert "<title>Text analysis</title>" in text, f"{TEMPLATE} changed: update tests/cluster/faults/fault_stack.py"
    page.write_text(text.replace("<title>Text analysis</title>", f"<title>Text analysis {MARKER}</title>"))


@dataclass
class Load:
    """One run of load.py in a pod; result() waits for it to end by itself."""

    stack: FaultStack
    pod: str

    def wait_started(self, timeout: float = 90) -> None:
        wait_until(f"load pod {self.pod} to get its first answer", lambda: "started" in self.logs(), timeout, 0.2)

    def logs(self) -> str:
        return self.stack.kubectl("logs", self.pod, check=False).stdout

    def result(self, timeout: float = 180) -> dict[str, Any]:
        line = wait_until(
            f"load pod {self.pod} to finish",
            lambda: next((x for x in self.logs().splitlines() if x.startswith("RESULT ")), None),
            timeout,
            0.5,
        )
        return json.loads(line.removeprefix("RESULT "))


class FaultStack:
    def __init__(self, cluster: Cluster, namespace: str, images: dict[str, str]) -> None:
        self.cluster, self.namespace, self.images = cluster, namespace, images

    def kubectl(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return kubectl(self.cluster, "-n", self.namespace, *args, **kwargs)

    def apply(self, *objects: dict[str, Any]) -> None:
        self.kubectl("apply", "-f", "-", input="\n---\n".join(json.dumps(o) for o in objects))

    def deploy(self, rendered: str | None = None) -> None:
        """The overlay (or RENDERED: another overlay's manifests built on it) with image A, every workload
        rolled out and the migrate Job complete."""
        rendered = rendered or kubectl(self.cluster, "kustomize", str(HERE / "overlay")).stdout
        with_a = rendered.replace("image: shipyard-app:faults", f"image: {self.images['a']}")
        assert with_a != rendered and "shipyard-app:" not in with_a.replace(self.images["a"], ""), "image name changed"
        self.kubectl("apply", "-f", "-", input=with_a)
        self.kubectl("create", "configmap", "load-script", f"--from-file=load.py={HERE / 'load.py'}")
        self.apply(_load_policy())
        self.kubectl("wait", "--for=condition=complete", "job/migrate", "--timeout=300s", timeout=330)
        for name in ("deployment/web", "deployment/worker", "deployment/beat", "deployment/redis"):
            self.rolled_out(name)

    def rolled_out(self, name: str, timeout: int = 300) -> None:
        self.kubectl("rollout", "status", name, f"--timeout={timeout}s", timeout=timeout + 30)

    @contextmanager
    def scaled_to_zero(self, workload: str) -> Iterator[None]:
        """WORKLOAD (e.g. deployment/worker) at 0 replicas inside; back at its replicas after, even when the
        test fails, so the next test of this shared stack starts with every workload there."""
        replicas = self.kubectl("get", workload, "-o", "jsonpath={.spec.replicas}").stdout.strip()
        self.kubectl("scale", workload, "--replicas=0")
        try:
            yield
        finally:
            self.kubectl("scale", workload, f"--replicas={replicas}")

    def load(self, requests: int, seconds: float, *options: str) -> Load:
        """Start load.py in a new pod: REQUESTS over SECONDS, with load.py's OPTIONS."""
        name = f"load-{uuid.uuid4().hex[:6]}"
        argv = ["python", "/load/load.py", "--requests", str(requests), "--seconds", str(seconds), *options]
        self.apply(_load_pod(name, self.images["a"], argv))
        return Load(self, name)

    def serving(self, timeout: float = 60) -> None:
        """Wait until web answers every request of a short load through its Service (after a fault)."""
        wait_until("web to answer every request again", lambda: self.load(10, 1).result()["failed"] == 0, timeout, 1)

    def pods(self, component: str) -> list[dict[str, Any]]:
        """The workload's own running pods (not terminating ones, nor a test's)."""
        return pods(self.cluster, self.namespace, component)

    def restarts(self, component: str) -> dict[str, int]:
        return {
            p["metadata"]["name"]: sum(s["restartCount"] for s in p["status"].get("containerStatuses", []))
            for p in self.pods(component)
        }

    def endpoints(self) -> tuple[int, int]:
        """(ready, not ready) addresses behind web's Service."""
        subsets = json.loads(self.kubectl("get", "endpoints", "web", "-o", "json").stdout).get("subsets") or []
        return (
            sum(len(s.get("addresses", [])) for s in subsets),
            sum(len(s.get("notReadyAddresses", [])) for s in subsets),
        )

    def sql(self, query: str) -> list[list[str]]:
        out = self.kubectl(
            "exec",
            "postgres-0",
            "-c",
            "postgres",
            "--",
            "psql",
            "-U",
            "shipyard",
            "-d",
            "shipyard",
            "-tAF",
            "|",
            "-c",
            query,
            timeout=60,
        ).stdout
        return [line.split("|") for line in out.splitlines() if line]

    def jobs(self, ids: list[str]) -> list[tuple[str, str, int]]:
        """(id, status, attempts) of these jobs' rows."""
        if not ids:
            return []
        quoted = ",".join(f"'{i}'" for i in ids)
        rows = self.sql(f"SELECT id, status, attempts FROM analysis_job WHERE id IN ({quoted})")
        return [(i, status, int(attempts)) for i, status, attempts in rows]

    def wait_jobs_done(self, ids: list[str], timeout: float = 180) -> list[tuple[str, str, int]]:
        def all_done() -> list | None:
            rows = self.jobs(ids)
            return rows if len(rows) == len(ids) and all(status == "done" for _, status, _ in rows) else None

        try:
            return wait_until(f"{len(ids)} jobs to be done", all_done, timeout, 1)
        except AssertionError:
            return self.jobs(ids)  # the caller's counts say what was not

    def probe_in(self, pod: str, path: str) -> tuple[int, str]:
        """(status, body) of web's PATH (/readyz, /healthz) asked inside POD, as the kubelet asks it."""
        probe = (
            "import sys, urllib.request, urllib.error\n"
            f"url = 'http://127.0.0.1:{ports.WEB}' + sys.argv[1]\n"
            "try:\n r = urllib.request.urlopen(url, timeout=8); print(r.status, r.read().decode())\n"
            "except urllib.error.HTTPError as e:\n print(e.code, e.read().decode())\n"
        )
        out = self.kubectl("exec", pod, "-c", "web", "--", "python", "-c", probe, path, timeout=30).stdout.strip()
        status, _, body = out.partition(" ")
        return int(status), body


def since(started: float) -> float:
    return round(time.monotonic() - started, 1)


def _load_policy() -> dict[str, Any]:
    """The load pod may connect to web's http port, and (allow-dns) resolve names; nothing else."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "load-egress-web"},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/component": "load"}},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "podSelector": {
                                "matchLabels": {
                                    "app.kubernetes.io/name": "shipyard",
                                    "app.kubernetes.io/component": "web",
                                }
                            }
                        }
                    ],
                    "ports": [{"protocol": "TCP", "port": "http"}],
                }
            ],
        },
    }


def _load_pod(name: str, image: str, argv: list[str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/component": "load"}},
        "spec": {
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "terminationGracePeriodSeconds": 0,
            "securityContext": RESTRICTED_POD,
            "containers": [
                {
                    "name": "load",
                    "image": image,
                    "command": argv,
                    "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
                    "securityContext": {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": True},
                    "volumeMounts": [{"name": "script", "mountPath": "/load", "readOnly": True}],
                }
            ],
            "volumes": [{"name": "script", "configMap": {"name": "load-script"}}],
        },
    }
