"""Which local cluster the dev loop runs against, and how images reach it.

minikube, kind, k3d and Docker Desktop are recognised by their context names; any other
cluster qualifies only if it advertises a local registry (KEP-1755, the ConfigMap
kube-public/local-registry-hosting), so the loop never deploys to a shared cluster by accident.
The project's own test cluster (`invoke cluster.up`) is used when it runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field

import yaml

from tasks.cluster import client as test_cluster
from tasks.cluster import layout as test_cluster_layout
from tasks.paths import tool
from tasks.shared import developer, kube, kubeconfig, settings
from tasks.shared import namespace as dev_namespace
from tasks.shared.errors import SharedError

KEP_1755 = ("kube-public", "local-registry-hosting")


@dataclass(frozen=True)
class Target:
    kind: str  # minikube, kind, k3d, docker-desktop, registry (KEP-1755), test-cluster, shared
    context: str
    plan: str  # one line: how images reach the cluster
    registry: str = ""  # where skaffold pushes (--default-repo); "" = the cluster reads the local engine
    env: dict[str, str] = field(default_factory=dict)  # extra environment for skaffold, tilt, kubectl
    namespace: str = ""  # "" = the context's own; a shared cluster's developer namespace otherwise

    def skaffold_args(self) -> list[str]:
        return (
            ["--kube-context", self.context]
            + (["--default-repo", self.registry] if self.registry else [])
            + (["--namespace", self.namespace] if self.namespace else [])
        )


def _kubectl(*args: str, env: dict[str, str] | None = None, timeout: float = 10) -> tuple[int, str]:
    try:
        result = subprocess.run(
            [tool("kubectl"), *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
        )
    except (FileNotFoundError, subprocess.TimeoutExpired) as error:
        return 1, str(error)
    return result.returncode, result.stdout.strip()


def advertised_registry(context: str, env: dict[str, str] | None = None) -> str:
    """The host the cluster's KEP-1755 ConfigMap names for pushes from this machine; "" if none."""
    namespace, name = KEP_1755
    code, out = _kubectl(
        "--context",
        context,
        "get",
        "configmap",
        name,
        "-n",
        namespace,
        "-o",
        r"jsonpath={.data.localRegistryHosting\.v1}",
        "--request-timeout",
        "5s",
        env=env,
    )
    if code != 0 or not out:
        return ""
    try:
        hosting = yaml.safe_load(out) or {}
    except yaml.YAMLError:
        return ""
    return str(hosting.get("host") or "") if isinstance(hosting, dict) else ""


def of_context(context: str) -> Target | None:
    """The target a kubeconfig context names, or None when it is no local cluster we recognise."""
    if context == "minikube":
        return Target("minikube", context, "builds into minikube's own Docker engine; nothing is pushed")
    if context == "docker-desktop":
        return Target("docker-desktop", context, "builds into Docker Desktop's engine; nothing is pushed")
    registry = advertised_registry(context)
    for prefix, kind, loads in (("kind-", "kind", "kind load"), ("k3d-", "k3d", "k3d image import")):
        if context.startswith(prefix):
            if registry:
                return Target(kind, context, f"pushes to its local registry {registry} (KEP-1755)", registry)
            return Target(kind, context, f"loads each image into the nodes ({loads}); nothing is pushed")
    if registry:
        return Target("registry", context, f"pushes to its local registry {registry} (KEP-1755)", registry)
    return None


def of_test_cluster() -> Target | None:
    cluster = test_cluster.running()
    if cluster is None:
        return None
    return Target(
        "test-cluster",
        cluster.context,
        f"pushes to its local registry {cluster.registry} (KEP-1755)",
        cluster.registry,
        {k: v for k, v in test_cluster.env(cluster).items() if os.environ.get(k) != v},
    )


def of_shared_namespace(namespace: str) -> Target | None:
    """NAMESPACE on the shared cluster (shared.toml's context, else the current one), if it is this developer's own
    dev namespace there (its label names $USER); None otherwise."""
    try:
        context = settings.read().get("context") or kubeconfig.current_context()
        if not context:
            return None
        labels = dev_namespace.labels_of(kube.Kube(context), namespace)
        mine = labels is not None and not dev_namespace.refusal(namespace, labels, developer.developer())
    except (SharedError, OSError, ValueError):
        return None
    return Target("shared", context, "your dev namespace on a shared cluster", namespace=namespace) if mine else None


def find(namespace: str = "") -> tuple[Target | None, str]:
    """The cluster the loop will use, or None and a one-line reason. With NAMESPACE, first whether it is this
    developer's dev namespace on a shared cluster (`invoke up --namespace`)."""
    shared = of_shared_namespace(namespace) if namespace else None
    if shared:
        return shared, ""
    target = of_test_cluster()
    if target:
        return target, ""
    context = kubeconfig.current_context()
    if not context:
        return None, "no current kubectl context"
    target = of_context(context)
    if target is None:
        return None, f"context {context!r} is not a local cluster (minikube, kind-*, k3d-*, docker-desktop, KEP-1755)"
    return target, ""


def starter() -> str:
    """What `invoke up` starts when no cluster runs: minikube if installed, else the test cluster; "" if neither."""
    if shutil.which("minikube"):
        return "minikube"
    if shutil.which("kind") or test_cluster_layout.current().kit_dir.is_dir():
        return "the project's test cluster (invoke cluster.up)"
    return ""
