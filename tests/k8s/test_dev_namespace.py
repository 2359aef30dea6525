"""A developer's namespace on a shared cluster (k8s/dev-namespace) and the RBAC example a cluster admin copies
(k8s/dev-namespace-rbac-example): the example names one developer throughout, its Role is exactly what the dev
overlay needs, and the namespace's quota admits the dev overlay at its rolling-update peak.
What the API server makes of it all: tests/cluster/test_dev_namespace_rbac.py."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from tasks.k8s import kustomize
from tests.k8s.manifests import find, one, pod_templates, rendered
from tests.support.dev_namespace import DEVELOPER, EXAMPLE, OWNER_LABEL, ROLE, example_for

pytestmark = pytest.mark.k8s

# What `kubectl apply --force` (get, create, patch; delete and create for an immutable change), Tilt, the
# tools' watches and `invoke down` do to each kind the dev overlay renders.
MANAGE = {"get", "list", "watch", "create", "update", "patch", "delete"}
WRITE = {"create", "update", "patch", "delete", "deletecollection", "bind", "escalate", "impersonate"}
# Beyond the rendered kinds: what the tools read or do to what the controllers make (resource -> verbs).
EXTRAS = {
    ("", "pods"): {"get", "list", "watch", "delete"},
    ("", "pods/log"): {"get"},
    ("", "pods/exec"): {"get", "create"},
    ("", "pods/portforward"): {"get", "create"},
    ("", "events"): {"get", "list", "watch"},
    ("", "persistentvolumeclaims"): {"get", "list", "watch", "delete"},
    ("", "resourcequotas"): {"get", "list", "watch"},
    ("", "limitranges"): {"get", "list", "watch"},
    ("", "namespaces"): {"get"},
    ("apps", "replicasets"): {"get", "list", "watch"},
}


def resource(obj: dict) -> tuple[str, str]:
    """(API group, resource) of a rendered object: Deployment apps/v1 -> ("apps", "deployments")."""
    group = obj["apiVersion"].rpartition("/")[0]
    kind = obj["kind"].lower()
    return group, kind[:-1] + "ies" if kind.endswith("y") else kind + "s"


def granted(role: dict) -> dict[tuple[str, str], set[str]]:
    grants: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for name in rule["resources"]:
                grants.setdefault((group, name), set()).update(rule["verbs"])
    return grants


def test_the_example_is_one_developers_namespace_with_their_role():
    objects = rendered(EXAMPLE)
    (namespace,) = find(objects, "Namespace")
    name = namespace["metadata"]["name"]
    assert name == f"dev-{DEVELOPER}"
    assert namespace["metadata"]["labels"][OWNER_LABEL] == DEVELOPER
    # k8s/dev-namespace's objects and labels (PodSecurity restricted), all in the developer's namespace.
    base = rendered("dev-namespace")
    labels = one(base, "Namespace", "dev-example")["metadata"]["labels"]
    assert {**labels, OWNER_LABEL: DEVELOPER} == namespace["metadata"]["labels"]
    assert sorted(o["kind"] for o in objects) == sorted([*(o["kind"] for o in base), "Role", "RoleBinding"])
    assert all(o["metadata"]["namespace"] == name for o in objects if o["kind"] != "Namespace")
    binding = one(objects, "RoleBinding", ROLE)
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": ROLE}
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": DEVELOPER}]


def test_replacing_the_developers_name_in_a_copy_makes_it_anothers(tmp_path):
    objects = kustomize.parse(example_for("bob", tmp_path))
    assert DEVELOPER not in str(objects)
    assert {o["metadata"].get("namespace", o["metadata"]["name"]) for o in objects} == {"dev-bob"}
    assert one(objects, "Namespace", "dev-bob")["metadata"]["labels"][OWNER_LABEL] == "bob"
    assert one(objects, "RoleBinding", ROLE)["subjects"][0]["name"] == "bob"


def test_the_role_has_no_wildcard_and_names_no_object():
    for rule in one(rendered(EXAMPLE), "Role", ROLE)["rules"]:
        assert not {"*"} & {*rule["apiGroups"], *rule["resources"], *rule["verbs"]}, rule
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule, rule


def test_the_role_manages_exactly_the_kinds_the_dev_overlay_renders():
    grants = granted(one(rendered(EXAMPLE), "Role", ROLE))
    kinds = {resource(o) for o in rendered("dev")}
    assert {k: grants.get(k, set()) for k in kinds} == dict.fromkeys(kinds, MANAGE)
    assert {k: v for k, v in grants.items() if k not in kinds} == EXTRAS
    # Nothing that would let the developer change their namespace's limits, or their own rights.
    for fixed in ("namespaces", "resourcequotas", "limitranges", "roles", "rolebindings"):
        assert not any(v & WRITE for (_, name), v in grants.items() if name == fixed), fixed


# --- The quota admits the dev overlay ----------------------------------------------------------

_SUFFIXES = {"m": Fraction(1, 1000), "k": 10**3, "M": 10**6, "G": 10**9, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


def quantity(text: str | int) -> Fraction:
    """A Kubernetes quantity as a number: "100m" -> 1/10, "1Gi" -> 2**30."""
    text = str(text)
    for suffix, factor in sorted(_SUFFIXES.items(), key=lambda item: -len(item[0])):
        if text.endswith(suffix):
            return Fraction(text[: -len(suffix)]) * factor
    return Fraction(text)


def container_resources(container: dict, defaults: dict) -> dict[str, Fraction]:
    """requests.cpu, requests.memory and limits.memory as the LimitRange leaves them: an unset request is the
    limit (API defaulting), else the LimitRange's defaultRequest; an unset limit is its default."""
    own = container.get("resources", {})
    limits = {**defaults.get("default", {}), **own.get("limits", {})}
    requests = {**defaults.get("defaultRequest", {}), **own.get("limits", {}), **own.get("requests", {})}
    return {
        "requests.cpu": quantity(requests.get("cpu", 0)),
        "requests.memory": quantity(requests.get("memory", 0)),
        "limits.memory": quantity(limits.get("memory", 0)),
    }


def pod_resources(template, defaults: dict) -> dict[str, Fraction]:
    """What the quota charges one pod: its containers' sum, or its largest init container if that is more."""
    main = [container_resources(c, defaults) for c in template.containers(init=False)]
    init = [container_resources(c, defaults) for c in template.spec.get("initContainers", [])]
    return {key: max([sum(r[key] for r in main), *(r[key] for r in init)]) for key in main[0]}


def peak_pods(workload: dict) -> int:
    """Its pods while it rolls out a new template: replicas, plus the surge of a RollingUpdate Deployment."""
    spec = workload["spec"]
    count = spec.get("parallelism", 1) if workload["kind"] == "Job" else spec.get("replicas", 1)
    strategy = spec.get("strategy", {})
    if workload["kind"] == "Deployment" and strategy.get("type", "RollingUpdate") == "RollingUpdate":
        surge = str(strategy.get("rollingUpdate", {}).get("maxSurge", "25%"))
        count += math.ceil(count * int(surge[:-1]) / 100) if surge.endswith("%") else int(surge)
    return count


def namespace_limits() -> tuple[dict[str, Fraction], dict]:
    objects = rendered("dev-namespace")
    (quota,) = find(objects, "ResourceQuota")
    (limit_range,) = find(objects, "LimitRange")
    (container,) = [limit for limit in limit_range["spec"]["limits"] if limit["type"] == "Container"]
    return {k: quantity(v) for k, v in quota["spec"]["hard"].items()}, container


def dev_peak() -> tuple[dict[str, Fraction], dict[str, int]]:
    """The dev overlay's charge against the quota while web and worker roll and the migrate Job runs."""
    _, defaults = namespace_limits()
    total = dict.fromkeys(("requests.cpu", "requests.memory", "limits.memory"), Fraction(0))
    pods = {}
    for template in pod_templates(rendered("dev")):
        pods[template.key] = peak_pods(template.workload)
        for key, value in pod_resources(template, defaults).items():
            total[key] += value * pods[template.key]
    return total, pods


def test_the_peak_is_one_of_each_pod_and_a_second_web_and_worker():
    _, pods = dev_peak()
    assert pods == {
        "deployment/web": 2,
        "deployment/worker": 2,
        "deployment/beat": 1,  # Recreate: never two beats
        "deployment/redis": 1,
        "statefulset/postgres": 1,
        "job/migrate": 1,
    }


@pytest.mark.parametrize("key", ["requests.cpu", "requests.memory", "limits.memory"])
def test_the_quota_admits_the_dev_overlay_at_its_rolling_update_peak(key):
    hard, _ = namespace_limits()
    total, _ = dev_peak()
    assert total[key] <= hard[key], f"{key}: the dev overlay's peak {float(total[key]):g} exceeds {hard[key]}"


def test_the_quota_admits_the_dev_overlays_pods_volumes_and_node_port():
    hard, _ = namespace_limits()
    _, pods = dev_peak()
    objects = rendered("dev")
    assert sum(pods.values()) <= hard["pods"]
    claims = [
        (workload["spec"].get("replicas", 1), claim)
        for workload in find(objects, "StatefulSet")
        for claim in workload["spec"].get("volumeClaimTemplates", [])
    ]
    assert sum(count for count, _ in claims) <= hard["persistentvolumeclaims"]
    storage = sum(count * quantity(c["spec"]["resources"]["requests"]["storage"]) for count, c in claims)
    assert storage <= hard["requests.storage"]
    services = find(objects, "Service")
    node_ports = [port for s in services if s["spec"].get("type") == "NodePort" for port in s["spec"]["ports"]]
    assert 0 < len(node_ports) <= hard["services.nodeports"]
    assert not any(s["spec"].get("type") == "LoadBalancer" for s in services)


def test_no_dev_container_exceeds_the_limit_ranges_maximum():
    _, limits = namespace_limits()
    for template in pod_templates(rendered("dev")):
        for container in template.containers():
            memory = container_resources(container, limits)["limits.memory"]
            assert memory <= quantity(limits["max"]["memory"]), f"{template.key} {container['name']}"


def test_quantities_are_read_as_kubernetes_writes_them():
    assert quantity("100m") == Fraction(1, 10)
    assert quantity("1") == 1
    assert quantity("1Gi") == 2**30 and quantity("512Mi") == 2**29
    assert quantity("1G") == 10**9
