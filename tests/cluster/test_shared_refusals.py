"""`invoke up --namespace` refuses before anything is deployed, in one line with the fix: a wrong registry
password, the cluster's own namespaces, a namespace that is not a dev namespace, another developer's, one
labelled prod. And on first use it makes the namespace the developer's (tasks/shared/namespace.py)."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from tasks.cluster.client import Cluster, env, kubectl
from tasks.paths import ROOT
from tasks.shared import kube, namespace
from tests.cluster.commands import delete_namespace
from tests.cluster.commands import namespace as fresh_namespace

pytestmark = [pytest.mark.cluster, pytest.mark.docker]


def up(cluster: Cluster, docker_config, *args: str) -> subprocess.CompletedProcess:
    environ = env(cluster) | {"USER": "alice", "DOCKER_CONFIG": str(docker_config)}
    argv = [str(ROOT / ".venv" / "bin" / "invoke"), "up", "--offline", *args]
    return subprocess.run(argv, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120)


def failed_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("FAIL")]


def deployed(cluster: Cluster, name: str) -> list[str]:
    listed = kubectl(cluster, "-n", name, "get", "deployments,statefulsets,jobs,secrets", "-o", "name", check=False)
    return listed.stdout.split()


def test_a_wrong_registry_password_is_one_line_before_anything_is_made(cluster, auth_registry, tmp_path):
    stale = auth_registry.docker_config_with_wrong_password(tmp_path / "docker")
    name = f"dev-alice-{uuid.uuid4().hex[:6]}"
    refused = up(cluster, stale, "--namespace", name, "--registry", auth_registry.host)
    assert refused.returncode == 1
    assert failed_lines(refused) == [
        f"FAIL push: registry {auth_registry.host} refused the credentials of '{auth_registry.user}' from your "
        f"Docker config: run `docker login {auth_registry.host}` again"
    ]
    assert refused.stderr.strip() == "doctor: the dev loop cannot run until push is fixed"
    absent = kubectl(cluster, "get", "namespace", name, check=False)
    assert absent.returncode != 0 and "NotFound" in absent.stderr


@pytest.fixture
def others(cluster):
    """Namespaces the loop must refuse: not a dev namespace, bob's, one labelled prod (alice's label or not)."""
    made = {
        "plain": fresh_namespace(cluster, "shop"),
        "bobs": fresh_namespace(cluster, "dev-bob", {namespace.OWNER: "bob"}),
        "prod": fresh_namespace(cluster, "prod", {namespace.OWNER: "alice", "environment": "prod"}),
    }
    yield made
    for name in made.values():
        delete_namespace(cluster, name)


def test_only_the_developers_own_dev_namespace_is_deployed_to(cluster, auth_registry, others, tmp_path):
    login = auth_registry.docker_config(tmp_path / "docker")
    expected = {
        "default": "namespace default is the cluster's own: use your dev namespace, e.g. --namespace dev-alice",
        "kube-system": "namespace kube-system is the cluster's own: use your dev namespace, e.g. --namespace dev-alice",
        others["plain"]: f"namespace {others['plain']} exists but is no dev namespace (no {namespace.OWNER} label): "
        "choose another --namespace",
        others["bobs"]: f"namespace {others['bobs']} is bob's dev namespace, not yours (alice): "
        "choose another --namespace",
        others["prod"]: f"namespace {others['prod']} is labelled environment=prod: "
        "the dev loop never deploys to staging or prod",
    }
    for name, why in expected.items():
        before = deployed(cluster, name)
        refused = up(cluster, login, "--namespace", name, "--registry", auth_registry.host)
        assert refused.returncode == 1, refused.stdout
        assert failed_lines(refused) == [f"FAIL namespace: {why}"]
        assert deployed(cluster, name) == before


def test_first_use_makes_the_namespace_the_developers_restricted_and_with_a_quota(cluster):
    admin = kube.Kube(cluster.context, env(cluster))
    name = f"dev-alice-{uuid.uuid4().hex[:6]}"
    try:
        assert namespace.ensure(admin, name, "alice") is True
        made = json.loads(kubectl(cluster, "get", "namespace", name, "-o", "json").stdout)["metadata"]["labels"]
        assert made[namespace.OWNER] == "alice"
        assert made["pod-security.kubernetes.io/enforce"] == "restricted"
        listed = kubectl(cluster, "-n", name, "get", "resourcequota,limitrange", "-o", "name").stdout.split()
        assert listed == ["resourcequota/dev-stack", "limitrange/dev-container-defaults"]
        assert namespace.ensure(admin, name, "alice") is False  # the second use finds it alice's
    finally:
        delete_namespace(cluster, name)
