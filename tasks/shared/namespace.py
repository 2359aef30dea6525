"""A developer's namespace on the shared cluster: made on first use from k8s/dev-namespace (PodSecurity restricted,
the developer's label, a ResourceQuota and a LimitRange), and never deployed to unless it is the developer's own."""

from __future__ import annotations

import json

from tasks.k8s import kustomize
from tasks.paths import ROOT
from tasks.shared.errors import SharedError
from tasks.shared.kube import Kube, last_line

MANIFESTS = ROOT / "k8s" / "dev-namespace"
OWNER = "shipyard.dev/dev-namespace-of"
# A namespace whose label says it is staging or prod, under any of the keys teams use for it.
ENVIRONMENT_KEYS = ("environment", "env", "stage", "tier")
ENVIRONMENTS = ("staging", "prod", "production")
EXAMPLE = "k8s/dev-namespace-rbac-example"
GRANT = f"ask your cluster admin to make it for you ({EXAMPLE})"
RIGHTS = f"ask your cluster admin for the Role in {EXAMPLE}"


def refusal(name: str, labels: dict[str, str] | None, developer: str) -> str:
    """Why the loop must not deploy into NAME (labels None: it does not exist yet); "" when it may."""
    if name == "default" or name.startswith("kube-"):
        return f"namespace {name} is the cluster's own: use your dev namespace, e.g. --namespace dev-{developer}"
    if labels is None:
        return ""
    for key, value in labels.items():
        if key.rsplit("/", 1)[-1] in ENVIRONMENT_KEYS and value.lower() in ENVIRONMENTS:
            return f"namespace {name} is labelled {key}={value}: the dev loop never deploys to staging or prod"
    owner = labels.get(OWNER)
    if owner is None:
        return f"namespace {name} exists but is no dev namespace (no {OWNER} label): choose another --namespace"
    if owner != developer:
        return f"namespace {name} is {owner}'s dev namespace, not yours ({developer}): choose another --namespace"
    return ""


def labels_of(kube: Kube, name: str) -> dict[str, str] | None:
    """NAME's labels, None when it does not exist."""
    got = kube.run("get", "namespace", name, "-o", "json")
    if got.returncode == 0:
        return json.loads(got.stdout)["metadata"].get("labels", {})
    if "NotFound" in got.stderr:
        return None
    if "Forbidden" in got.stderr:
        raise SharedError(f"you may not read namespace {name} on {kube.context}, so it cannot be checked: {RIGHTS}")
    raise SharedError(f"cannot read namespace {name}: {last_line(got)}")


def objects(name: str, developer: str) -> list[dict]:
    """k8s/dev-namespace rendered for NAME and DEVELOPER."""
    made = kustomize.render(MANIFESTS.name)
    for obj in made:
        if obj["kind"] == "Namespace":
            obj["metadata"]["name"] = name
            obj["metadata"]["labels"][OWNER] = developer
        else:
            obj["metadata"]["namespace"] = name
    return made


def check(kube: Kube, name: str, developer: str) -> str:
    """One line saying the namespace is the developer's, or will be made; SharedError with the fix otherwise."""
    why = refusal(name, None, developer)
    labels = None if why else labels_of(kube, name)
    why = why or refusal(name, labels, developer)
    if why:
        raise SharedError(why)
    if labels is None:
        if not kube.can_i("create", "namespaces"):
            raise SharedError(f"namespace {name} does not exist and you may not create namespaces: {GRANT}")
        return f"{name} does not exist yet; up makes it yours (restricted, with a quota)"
    missing = [what for what in ("deployments", "secrets", "pods/portforward") if not kube.can_i("create", what, name)]
    if missing:
        raise SharedError(f"you may not create {', '.join(missing)} in {name}: {RIGHTS}")
    return f"{name} is {developer}'s, and you may deploy there"


def ensure(kube: Kube, name: str, developer: str) -> bool:
    """Make NAME the developer's dev namespace if it does not exist (True when made); refuse any other's."""
    labels = None if refusal(name, None, developer) else labels_of(kube, name)
    why = refusal(name, labels, developer)  # the doctor checked moments ago; a namespace made since is not taken
    if why:
        raise SharedError(why)
    if labels is not None:
        return False
    made = kube.run("create", "-f", "-", input="\n---\n".join(json.dumps(o) for o in objects(name, developer)))
    if made.returncode != 0:
        raise SharedError(f"could not make namespace {name}: {last_line(made)}")
    return True
