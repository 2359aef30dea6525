"""Small kubectl helpers for the cluster tests (`invoke cluster.*` itself: tests/support/cluster_commands.py)."""

from __future__ import annotations

import json
import subprocess
import uuid

from tasks.cluster.client import Cluster, kubectl
from tests.support.restricted import RESTRICTED_CONTAINER, RESTRICTED_POD


def apply(cluster: Cluster, *objects: dict) -> None:
    kubectl(cluster, "apply", "-f", "-", input="\n---\n".join(json.dumps(o) for o in objects))


def namespace(cluster: Cluster, prefix: str, labels: dict[str, str] | None = None) -> str:
    """A fresh namespace (a random suffix: a namespace of an earlier run may still be terminating)."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    apply(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels or {}}})
    return name


def restricted_namespace(cluster: Cluster, prefix: str) -> str:
    """A fresh namespace where PodSecurity enforces `restricted`, as a careful platform team would."""
    return namespace(cluster, prefix, {"pod-security.kubernetes.io/enforce": "restricted"})


def delete_namespace(cluster: Cluster, name: str) -> None:
    kubectl(cluster, "delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


def busybox(cluster: Cluster, name: str, ns: str, command: list[str], **extra: object) -> dict:
    """A pod of the registry's busybox that passes PodSecurity `restricted` (non-root, no privileges)."""
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": extra.pop("labels", {"app": name})},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "securityContext": RESTRICTED_POD,
            "containers": [
                {
                    "name": "main",
                    "image": f"{cluster.registry}/busybox:1.35",
                    "command": command,
                    "securityContext": RESTRICTED_CONTAINER,
                    **extra,
                }
            ],
        },
    }
    return pod


def wait_ready(cluster: Cluster, ns: str, *pods: str, timeout: int = 90) -> None:
    kubectl(
        cluster,
        "-n",
        ns,
        "wait",
        "--for=condition=Ready",
        *[f"pod/{p}" for p in pods],
        f"--timeout={timeout}s",
        timeout=timeout + 30,
    )


def exec_in(cluster: Cluster, ns: str, pod: str, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return kubectl(cluster, "-n", ns, "exec", pod, "--", *argv, timeout=timeout, check=False)


def warnings_in(cluster: Cluster, ns: str) -> str:
    """The namespace's Warning events, oldest first, one line each: what the kubelet and the controllers said went
    wrong (they outlive the pods a tool deleted on its way out), for a failure's message."""
    listed = kubectl(cluster, "-n", ns, "get", "events", "--field-selector", "type=Warning", "-o", "json", check=False)
    try:
        items = json.loads(listed.stdout)["items"]
    except ValueError:
        return f"(no events: {listed.stderr.strip()})"
    items.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    return "\n".join(f"{e['involvedObject'].get('name')}: {e.get('reason')}: {e.get('message')}" for e in items)
