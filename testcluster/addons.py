"""The test cluster's add-ons on the binaries provider: CoreDNS, kube-router's RBAC, the KEP-1755 ConfigMap and
the default StorageClass (served by volume_provisioner.py). The kube kit's manifests are read, never written."""

from __future__ import annotations

import json

import yaml

from tasks.cluster.addons import apply, local_registry_hosting
from tasks.cluster.layout import Layout
from testcluster.volume_provisioner import PROVISIONER

__all__ = ["apply", "manifests", "storage_class"]


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
    """All add-ons as one multi-document stream, the kube kit's registry address replaced by ours."""
    kit, reg = layout.kit_dir / "manifests", layout.registry
    docs = []
    for name in ("kube-router-rbac.yaml", "coredns.yaml"):
        text = (kit / name).read_text().replace("127.0.0.1:5000", reg)
        docs += [_quick_readiness(doc) for doc in yaml.safe_load_all(text) if doc]
    docs += [local_registry_hosting(reg, reg, reg), storage_class()]
    return "\n---\n".join(json.dumps(doc) for doc in docs) + "\n"
