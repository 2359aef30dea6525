"""The binary cluster's add-ons: CoreDNS, kube-router's RBAC, the KEP-1755 local-registry ConfigMap and the
default StorageClass (served by volume_provisioner.py). The kit's manifests are read, never written."""

from __future__ import annotations

import json
import os
import subprocess
import time

import yaml

from tasks.cluster.layout import Layout, bypass_proxy
from tasks.cluster.progress import ClusterError
from tasks.cluster.volume_provisioner import PROVISIONER

KEP_1755_HELP = "https://github.com/kubernetes/enhancements/tree/master/keps/sig-cluster-lifecycle/generic/1755-communicating-a-local-registry"


def local_registry_hosting(host: str, from_runtime: str, from_cluster: str) -> dict:
    """KEP-1755: tells dev tools (tilt, skaffold) where to push images this cluster can pull."""
    entry = f'host: "{host}"\nhostFromContainerRuntime: "{from_runtime}"\nhostFromClusterNetwork: "{from_cluster}"\n'
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "local-registry-hosting", "namespace": "kube-public"},
        "data": {"localRegistryHosting.v1": entry + f'help: "{KEP_1755_HELP}"\n'},
    }


def storage_class() -> dict:
    """`standard`, the default class, like minikube's and kind's: volumes any uid may write."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": PROVISIONER,
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate",
    }


def _quick_readiness(doc: dict) -> dict:
    """CoreDNS probed every second, not every 10: a first probe that comes too early costs 1 s, not 10."""
    if doc.get("kind") == "Deployment":
        for container in doc["spec"]["template"]["spec"]["containers"]:
            if "readinessProbe" in container:
                container["readinessProbe"]["periodSeconds"] = 1
    return doc


def manifests(layout: Layout) -> str:
    """All add-ons as one multi-document stream, the kit's registry address replaced by ours."""
    kit, reg = layout.kit_dir / "manifests", layout.registry
    docs = []
    for name in ("kube-router-rbac.yaml", "coredns.yaml"):
        text = (kit / name).read_text().replace("127.0.0.1:5000", reg)
        docs += [_quick_readiness(doc) for doc in yaml.safe_load_all(text) if doc]
    docs += [local_registry_hosting(reg, reg, reg), storage_class()]
    return "\n---\n".join(json.dumps(doc) for doc in docs) + "\n"


def apply(kubectl: list[str], text: str, log_path, attempts: int = 20) -> None:
    """kubectl apply, retried briefly: right after start the apiserver may still be creating kube-public."""
    for attempt in range(attempts):
        result = subprocess.run([*kubectl, "apply", "-f", "-"], input=text, capture_output=True, text=True, check=False,
                                env=bypass_proxy(dict(os.environ)))  # fmt: skip
        with open(log_path, "a") as log:
            log.write(result.stdout + result.stderr)
        if result.returncode == 0:
            return
        if attempt + 1 < attempts:
            time.sleep(0.5)
    detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
    raise ClusterError(f"installing the add-ons failed: {detail} (see {log_path})")
