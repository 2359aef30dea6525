"""`invoke cluster.up` gives a usable cluster: a Ready node, CoreDNS, the KEP-1755 ConfigMap, a default
StorageClass, and a kubeconfig of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tasks.cluster import registry
from tasks.cluster.client import kubectl
from tests.cluster.commands import busybox, delete_namespace, exec_in, namespace, wait_ready

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def toolbox(cluster_session):
    """A busybox pod to look at the cluster from inside: (cluster, namespace, pod)."""
    cluster = cluster_session.ensure()
    ns = namespace(cluster, "cluster-addons")
    kubectl(cluster, "apply", "-f", "-", input=json.dumps(busybox(cluster, "toolbox", ns, ["sleep", "3600"])))
    wait_ready(cluster, ns, "toolbox")
    yield cluster, ns, "toolbox"
    delete_namespace(cluster, ns)


def test_up_gives_one_ready_node(cluster):
    nodes = json.loads(kubectl(cluster, "get", "nodes", "-o", "json").stdout)["items"]
    ready = {
        n["metadata"]["name"]: c["status"] for n in nodes for c in n["status"]["conditions"] if c["type"] == "Ready"
    }
    assert list(ready.values()) == ["True"], ready


def test_coredns_resolves_service_names_from_a_pod(toolbox):
    cluster, ns, pod = toolbox
    # In `default` by name: the context's namespace may be a loop's meanwhile (tests/cluster/day.py sets it).
    service = ["-n", "default", "get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"]
    service_ip = kubectl(cluster, *service).stdout
    # busybox nslookup applies no search domains: the fully qualified name.
    result = exec_in(cluster, ns, pod, "nslookup", "kubernetes.default.svc.cluster.local")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Address: {service_ip}" in result.stdout, result.stdout


def test_the_registry_is_advertised_with_the_kep_1755_configmap(cluster):
    data = kubectl(cluster, "-n", "kube-public", "get", "configmap", "local-registry-hosting", "-o", "json").stdout
    hosting = yaml.safe_load(json.loads(data)["data"]["localRegistryHosting.v1"])
    assert hosting["host"] == cluster.registry
    assert "1755" in hosting["help"]
    assert registry.answers(cluster.registry)


def test_a_default_storage_class_exists(cluster):
    classes = json.loads(kubectl(cluster, "get", "storageclass", "-o", "json").stdout)["items"]
    marked = {c["metadata"]["name"]: c["metadata"].get("annotations", {}) for c in classes}
    default = [
        name for name, notes in marked.items() if notes.get("storageclass.kubernetes.io/is-default-class") == "true"
    ]
    assert default == ["standard"]


def test_the_kubeconfig_and_context_are_its_own(cluster):
    assert cluster.context == "shipyard-test"
    assert cluster.run_dir is not None and cluster.kubeconfig.parent == cluster.run_dir
    config = yaml.safe_load(cluster.kubeconfig.read_text())
    assert [c["name"] for c in config["contexts"]] == ["shipyard-test"]
    user_config = Path.home() / ".kube" / "config"
    assert not user_config.exists() or "shipyard-test" not in user_config.read_text()
