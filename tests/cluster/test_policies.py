"""The policies the manifests rely on are enforced as in production: NetworkPolicy (a client the policy
does not allow is blocked) and PodSecurity admission (a `restricted` namespace rejects a privileged pod)."""

from __future__ import annotations

import json

import pytest

from tasks.cluster.client import kubectl
from tests.cluster.commands import (
    apply,
    busybox,
    delete_namespace,
    exec_in,
    restricted_namespace,
    wait_ready,
)
from tests.support.processes import wait_until

pytestmark = pytest.mark.cluster


@pytest.fixture
def ns(cluster):
    name = restricted_namespace(cluster, "cluster-policy")
    yield name
    delete_namespace(cluster, name)


def test_a_network_policy_blocks_a_client_it_does_not_allow(cluster, ns):
    server = busybox(
        cluster,
        "server",
        ns,
        ["sh", "-c", "mkdir -p /tmp/www && echo np-ok > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www"],
    )
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "server", "namespace": ns},
        "spec": {"selector": {"app": "server"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    allowed = busybox(cluster, "allowed", ns, ["sleep", "3600"], labels={"role": "allowed"})
    denied = busybox(cluster, "denied", ns, ["sleep", "3600"], labels={"role": "other"})
    apply(cluster, server, service, allowed, denied)
    wait_ready(cluster, ns, "server", "allowed", "denied")

    def fetch(client: str) -> str:  # busybox's `wget -T` segfaults: timeout(1) bounds the request
        return exec_in(cluster, ns, client, "timeout", "3", "wget", "-qO-", "http://server").stdout.strip()

    assert wait_until("the denied client to reach the server before any policy", lambda: fetch("denied"), 30) == "np-ok"
    policy = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "only-allowed", "namespace": ns},
        "spec": {
            "podSelector": {"matchLabels": {"app": "server"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "allowed"}}}]}],
        },
    }
    apply(cluster, policy)
    wait_until("the policy to block the denied client", lambda: fetch("denied") == "", 30)
    assert fetch("allowed") == "np-ok"


def test_a_restricted_namespace_rejects_a_privileged_pod(cluster, ns):
    privileged = busybox(cluster, "privileged", ns, ["sleep", "60"])
    privileged["spec"]["securityContext"] = {}
    privileged["spec"]["containers"][0]["securityContext"] = {"privileged": True}
    result = kubectl(cluster, "apply", "-f", "-", input=json.dumps(privileged), check=False)
    assert result.returncode != 0
    assert "violates PodSecurity" in result.stderr and "restricted" in result.stderr, result.stderr
    compliant = busybox(cluster, "compliant", ns, ["sleep", "60"])
    assert kubectl(cluster, "apply", "--dry-run=server", "-f", "-", input=json.dumps(compliant)).returncode == 0
