"""A developer's own kubeconfig for the test cluster: the admin's credentials impersonating the developer (the
kubeconfig's `as`), so every request the developer's tools make is authorised as that user alone, by the Role
k8s/dev-namespace-rbac-example binds to them, as on a team's shared cluster."""

from __future__ import annotations

from pathlib import Path

import yaml

from tasks.cluster.client import Cluster


def developer_kubeconfig(cluster: Cluster, user: str, into: Path) -> tuple[Path, str]:
    """(the kubeconfig file, its one context) for USER on CLUSTER."""
    admin = yaml.safe_load(cluster.kubeconfig.read_text())
    (context,) = [c for c in admin["contexts"] if c["name"] == cluster.context]
    (credentials,) = [u for u in admin["users"] if u["name"] == context["context"]["user"]]
    (server,) = [c for c in admin["clusters"] if c["name"] == context["context"]["cluster"]]
    name = f"{user}@{cluster.context}"
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [server],
        "users": [{"name": user, "user": {**credentials["user"], "as": user}}],
        "contexts": [{"name": name, "context": {"cluster": server["name"], "user": user}}],
        "current-context": name,
    }
    into.mkdir(parents=True, exist_ok=True)
    path = into / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    path.chmod(0o600)
    return path, name
