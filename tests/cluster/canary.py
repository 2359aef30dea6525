"""A variable of the caller's environment that must never reach the cluster: the tools run with it set, and every
Job, Pod, ConfigMap and Secret they made is read back from the API server and searched for its value."""

from __future__ import annotations

import base64
import json
import uuid

from tasks.cluster.client import Cluster, kubectl

NAME = "SHIPYARD_TEST_CANARY_TOKEN"
VALUE = f"canary-{uuid.uuid4().hex}"  # stands for a token in a developer's shell


def with_canary(environ: dict[str, str]) -> dict[str, str]:
    return {**environ, NAME: VALUE}


def search(cluster: Cluster, namespace: str) -> tuple[int, list[str]]:
    """How many Jobs, Pods, ConfigMaps and Secrets NAMESPACE holds (a search of nothing would pass), and the
    kind/name of each that holds the canary's value or name, Secrets' data decoded: one read of them all."""
    listed = kubectl(cluster, "-n", namespace, "get", "jobs,pods,configmaps,secrets", "-o", "json")
    items = json.loads(listed.stdout)["items"]
    found = []
    for item in items:
        text = json.dumps(item)
        if item["kind"] == "Secret":
            text += " ".join(base64.b64decode(v).decode(errors="replace") for v in (item.get("data") or {}).values())
        if VALUE in text or NAME in text:
            found.append(f"{item['kind']}/{item['metadata']['name']}")
    return len(items), found
