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


def carriers(cluster: Cluster, namespace: str) -> list[str]:
    """kind/name of every Job, Pod, ConfigMap and Secret in NAMESPACE that holds the canary's value (or its name),
    Secrets' data decoded."""
    listed = kubectl(cluster, "-n", namespace, "get", "jobs,pods,configmaps,secrets", "-o", "json")
    found = []
    for item in json.loads(listed.stdout)["items"]:
        text = json.dumps(item)
        if item["kind"] == "Secret":
            text += " ".join(base64.b64decode(v).decode(errors="replace") for v in (item.get("data") or {}).values())
        if VALUE in text or NAME in text:
            found.append(f"{item['kind']}/{item['metadata']['name']}")
    return found


def searched(cluster: Cluster, namespace: str) -> int:
    """How many objects the search reads (a search of nothing would pass)."""
    listed = kubectl(cluster, "-n", namespace, "get", "jobs,pods,configmaps,secrets", "-o", "name")
    return len(listed.stdout.split())
