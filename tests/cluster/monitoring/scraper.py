"""The scraper in namespace `monitoring` that discovers the app's pods; its Prometheus API, read through the apiserver.

VictoriaMetrics (victoria-metrics/Dockerfile says why not Debian's Prometheus) with a Prometheus scrape
config: kubernetes_sd_configs, role pod. The namespace's name is fixed: the monitoring component's
NetworkPolicy lets in scrapes from the namespace named `monitoring` (its kubernetes.io/metadata.name
label, which Kubernetes sets). The scraper may only get, list and watch pods, and only in the app's
namespace: a Role there, bound to its ServiceAccount.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import yaml

from tasks.cluster.client import Cluster, kubectl
from tests.cluster.commands import apply
from tests.support.processes import wait_until

NAMESPACE = "monitoring"
NAME = "scraper"
PORT = 8428
LABELS = {"app.kubernetes.io/name": NAME}


def create_namespace(cluster: Cluster) -> None:
    """`monitoring`, restricted; an earlier run's may still be terminating, so wait for it to be gone first."""
    wait_until(
        f"namespace {NAMESPACE} of an earlier run to be gone",
        lambda: kubectl(cluster, "get", "namespace", NAMESPACE, check=False).returncode != 0,
        120,
        1,
    )
    labels = {"pod-security.kubernetes.io/enforce": "restricted"}
    apply(cluster, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": labels}})


def manifests(image: str, app_namespace: str, scrape_configs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ServiceAccount, RBAC in APP_NAMESPACE, the scrape config, the pod and its Service."""
    ns = {"namespace": NAMESPACE}
    config = {"global": {"scrape_interval": "30s"}, "scrape_configs": scrape_configs}
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": NAME, **ns}},
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": f"{NAME}-discovery", "namespace": app_namespace},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": f"{NAME}-discovery", "namespace": app_namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": f"{NAME}-discovery"},
            "subjects": [{"kind": "ServiceAccount", "name": NAME, **ns}],
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"{NAME}-config", **ns},
            "data": {"scrape.yml": yaml.safe_dump(config, sort_keys=False)},
        },
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": NAME, "labels": LABELS, **ns},
            "spec": {
                "serviceAccountName": NAME,  # its token is how pod discovery authenticates to the apiserver
                "terminationGracePeriodSeconds": 2,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 65534,
                    "runAsGroup": 65534,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": NAME,
                        "image": image,
                        # latencyOffset 0: a sample is queryable once stored, not 30 s later.
                        "args": [
                            "-promscrape.config=/etc/scraper/scrape.yml",
                            "-storageDataPath=/data",
                            f"-httpListenAddr=:{PORT}",
                            "-search.latencyOffset=0s",
                        ],
                        "ports": [{"name": "http", "containerPort": PORT}],
                        "readinessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 1},
                        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "256Mi"}},
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                        "volumeMounts": [
                            {"name": "config", "mountPath": "/etc/scraper", "readOnly": True},
                            {"name": "data", "mountPath": "/data"},
                        ],
                    }
                ],
                "volumes": [
                    {"name": "config", "configMap": {"name": f"{NAME}-config"}},
                    {"name": "data", "emptyDir": {"sizeLimit": "256Mi"}},
                ],
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": NAME, **ns},
            "spec": {"selector": LABELS, "ports": [{"name": "http", "port": PORT, "targetPort": "http"}]},
        },
    ]


class Api:
    """The scraper's Prometheus HTTP API through the apiserver's service proxy: no port-forward, nothing on the host."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def get(self, path: str, **params: str) -> Any:
        """`data` of GET /api/v1/PATH; None while the scraper does not answer."""
        url = f"/api/v1/namespaces/{NAMESPACE}/services/{NAME}:http/proxy/api/v1/{path}"
        answer = kubectl(self.cluster, "get", "--raw", f"{url}?{urllib.parse.urlencode(params)}", check=False)
        if answer.returncode != 0:
            return None
        body = json.loads(answer.stdout)
        assert body["status"] == "success", body
        return body["data"]

    def targets(self) -> list[dict[str, Any]]:
        return (self.get("targets", state="active") or {}).get("activeTargets", [])

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant vector: [{"metric": {labels}, "value": [time, "value"]}, ...]."""
        data = self.get("query", query=promql)
        return data["result"] if data else []

    def ready(self, timeout: float = 120) -> None:
        wait_until("the scraper to answer its API", lambda: self.get("targets") is not None, timeout, 1)
