"""The RBAC example (k8s/dev-namespace-rbac-example), made for a fresh developer by the cluster admin's
commands in k8s/README.md (run as written), gives that developer exactly their namespace: a real API server,
asked as them (`kubectl --as`), takes the dev overlay there and nowhere else, and refuses any change to the
namespace, its quota and limits, or their own rights. Whether the quota admits the dev overlay:
tests/k8s/test_dev_namespace.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tasks.cluster.client import Cluster, env, kubectl
from tasks.k8s import kustomize
from tests.cluster.commands import delete_namespace
from tests.support.dev_namespace import EXAMPLE, OWNER_LABEL
from tests.support.doc_blocks import run_as_written, sh_blocks
from tests.support.processes import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

ELSEWHERE = "default"  # another namespace, which the cluster has from the start


@dataclass(frozen=True)
class Developer:
    cluster: Cluster
    name: str
    namespace: str

    def kubectl(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        """kubectl as the developer (the admin impersonating them), never raising."""
        return kubectl(self.cluster, "--as", self.name, *args, input=input, check=False)

    def can_i(self, verb: str, resource: str, namespace: str) -> bool:
        """`kubectl auth can-i`; a subresource as pods/exec (can-i itself would read that as the pod named exec)."""
        kind, _, subresource = resource.partition("/")
        scope = ["--namespace", namespace, *([f"--subresource={subresource}"] if subresource else [])]
        return self.kubectl("auth", "can-i", verb, kind, *scope).stdout.strip() == "yes"


def admin_makes_namespace_for(name: str, cluster: Cluster, checkout: Path) -> None:
    """k8s/README.md's commands for a developer's namespace, for NAME instead of bob, in a copy of k8s/."""
    (block,) = sh_blocks(kustomize.K8S_ROOT / "README.md", "A developer's namespace")
    assert "bob" in block
    for folder in ("dev-namespace", EXAMPLE):
        shutil.copytree(kustomize.K8S_ROOT / folder, checkout / "k8s" / folder)
    run_as_written(block.replace("bob", name), checkout, env(cluster), timeout=60)


@pytest.fixture(scope="module")
def developer(cluster_session, tmp_path_factory):
    """A developer no earlier or parallel run knows, their namespace made by the admin."""
    cluster = cluster_session.ensure()
    name = f"rbac-{uuid.uuid4().hex[:6]}"
    dev = Developer(cluster, name, f"dev-{name}")
    try:
        admin_makes_namespace_for(name, cluster, tmp_path_factory.mktemp("admin"))
        wait_until("the RoleBinding to take effect", lambda: dev.can_i("get", "pods", dev.namespace), 10)
        yield dev
    finally:
        delete_namespace(cluster, dev.namespace)


def forbidden(result: subprocess.CompletedProcess) -> bool:
    return result.returncode != 0 and "forbidden" in result.stderr.lower()


def test_the_developer_deploys_the_dev_overlay_into_their_namespace(developer):
    manifests = kustomize.render_yaml("dev")
    applied = developer.kubectl(
        "apply", "--dry-run=server", "--namespace", developer.namespace, "-f", "-", input=manifests
    )
    assert applied.returncode == 0, applied.stderr
    lines = applied.stdout.splitlines()
    assert len(lines) == len(kustomize.parse(manifests)) and all("(server dry run)" in line for line in lines)
    # What `invoke up --namespace` checks first: the namespace carries the developer's label.
    got = developer.kubectl("get", "namespace", developer.namespace, "-o", "json")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["metadata"]["labels"][OWNER_LABEL] == developer.name


def test_the_developer_deploys_nowhere_else(developer):
    manifests = kustomize.render_yaml("dev")
    applied = developer.kubectl("apply", "--dry-run=server", "--namespace", ELSEWHERE, "-f", "-", input=manifests)
    assert forbidden(applied), applied.stdout + applied.stderr
    assert "(server dry run)" not in applied.stdout


def merge(patch: dict) -> list[str]:
    return ["--type=merge", "-p", json.dumps(patch)]


def test_the_developer_cannot_change_their_namespace_its_quota_or_limits_or_their_rights(developer):
    name, ns = developer.namespace, ["--namespace", developer.namespace]
    attempts = {
        "relabel the namespace": ["patch", "namespace", name, *merge({"metadata": {"labels": {OWNER_LABEL: "x"}}})],
        "delete the namespace": ["delete", "namespace", name],
        "raise the quota": [*ns, "patch", "resourcequota", "dev-stack", *merge({"spec": {"hard": {"pods": "999"}}})],
        "delete the quota": [*ns, "delete", "resourcequota", "dev-stack"],
        "drop the limits": [*ns, "patch", "limitrange", "dev-container-defaults", *merge({"spec": {"limits": []}})],
        "delete the limit range": [*ns, "delete", "limitrange", "dev-container-defaults"],
        "create a namespace": ["create", "namespace", f"{name}-more"],
        "bind themselves to admin": [*ns, "create", "rolebinding", "more", "--clusterrole=admin", "--user=x"],
        "change their Role": [*ns, "patch", "role", "shipyard-developer", *merge({"rules": []})],
    }
    for what, argv in attempts.items():
        # A dry run: were a rule wrong, the request would still change nothing.
        result = developer.kubectl(*argv, "--dry-run=server")
        assert forbidden(result), f"the developer could {what}: {result.stdout}{result.stderr}"
    assert developer.kubectl(*ns, "get", "resourcequota", "dev-stack").returncode == 0  # reading it is fine


def test_the_developer_reads_no_secret_elsewhere(developer):
    assert forbidden(developer.kubectl("get", "secrets", "--namespace", ELSEWHERE))
    assert forbidden(developer.kubectl("get", "secrets", "--namespace", "kube-system"))
    assert developer.kubectl("get", "secrets", "--namespace", developer.namespace).returncode == 0


@pytest.mark.parametrize("resource", ["pods/portforward", "pods/exec"])
def test_the_developer_forwards_to_and_execs_into_their_pods_only(developer, resource):
    # create: kubectl's SPDY request; get: its WebSocket upgrade (kubectl 1.30 and later).
    for verb in ("create", "get"):
        assert developer.can_i(verb, resource, developer.namespace), f"{verb} {resource}"
        assert not developer.can_i(verb, resource, ELSEWHERE), f"{verb} {resource} in {ELSEWHERE}"
    assert developer.can_i("get", "pods/log", developer.namespace)
