"""The cluster pulls the loop's images from the team's registry with the developer's own credentials: an
imagePullSecret in their namespace, made from their Docker config on every `up` (a rotated token is picked up),
and named by the ServiceAccounts the dev overlay's pods run as. Made before anything is deployed: a pod gets its
ServiceAccount's pull secrets only when it is created."""

from __future__ import annotations

import base64
import json

from tasks.k8s.kustomize import render
from tasks.shared.credentials import Credentials
from tasks.shared.errors import SharedError
from tasks.shared.kube import Kube, last_line

NAME = "shipyard-registry"
MADE_BY = {"app.kubernetes.io/managed-by": "shipyard-up"}  # what `invoke down --namespace` deletes


def secret(namespace: str, host: str, credentials: Credentials) -> dict:
    auth = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
    config = {"auths": {host: {"username": credentials.username, "password": credentials.password, "auth": auth}}}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "kubernetes.io/dockerconfigjson",
        "metadata": {"name": NAME, "namespace": namespace, "labels": MADE_BY},
        "data": {".dockerconfigjson": base64.b64encode(json.dumps(config).encode()).decode()},
    }


def service_accounts(overlay: str = "dev") -> list[str]:
    """The ServiceAccounts the overlay's pods run as ("default" for a pod that names none)."""
    names = set()
    for obj in render(overlay):
        template = obj.get("spec", {}).get("template", {}).get("spec")
        if obj["kind"] in ("Deployment", "StatefulSet", "Job") and template is not None:
            names.add(template.get("serviceAccountName", "default"))
    return sorted(names)


def install(kube: Kube, namespace: str, host: str, credentials: Credentials) -> None:
    """The pull secret, and each ServiceAccount naming it (made now if the deploy has not made it yet)."""
    applied = kube.run("apply", "-f", "-", input=json.dumps(secret(namespace, host, credentials)))
    if applied.returncode != 0:
        raise SharedError(f"could not store the registry pull secret in {namespace}: {last_line(applied)}")
    for account in service_accounts():
        if kube.run("get", "serviceaccount", account, "-n", namespace).returncode != 0:
            # --raw: posted as it is. `create -f` would record the secret in the last-applied configuration too,
            # and the deploy's apply would then take it away again.
            path = f"/api/v1/namespaces/{namespace}/serviceaccounts"
            made = kube.run("create", "--raw", path, "-f", "-", input=json.dumps(service_account(account, namespace)))
            if made.returncode == 0:
                continue
        patch = json.dumps({"imagePullSecrets": [{"name": NAME}]})
        patched = kube.run("patch", "serviceaccount", account, "-n", namespace, "--type", "strategic", "-p", patch)
        if patched.returncode != 0:
            raise SharedError(f"could not give ServiceAccount {account} the pull secret: {last_line(patched)}")


def service_account(account: str, namespace: str) -> dict:
    """ACCOUNT naming the pull secret from its first version on. The API server gives a pod its ServiceAccount's pull
    secrets from its cache of ServiceAccounts: a pod the deploy makes right after a create-then-patch can meet the
    created version there, without the secret (the likely cause of a `can't be pulled` that once ended a team's first
    `up` in the suite). The deploy's own apply then adds its fields and keeps this one, which the recorded
    last-applied configuration does not name."""
    applied = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account, "namespace": namespace}}
    return {
        **applied,
        "metadata": {
            **applied["metadata"],
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied)},
        },
        "imagePullSecrets": [{"name": NAME}],
    }


def remove(kube: Kube, namespace: str) -> None:
    kube.run("delete", "secret", NAME, "-n", namespace, "--ignore-not-found")
