"""Queries over rendered manifests, shared by the policy, reference and parity tests."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from tasks.k8s import kustomize

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")
APP_WORKLOADS = ("web", "worker", "beat", "migrate")
NAME_LABELS = {"app.kubernetes.io/name": "shipyard", "app.kubernetes.io/part-of": "shipyard"}
COMPONENT = "app.kubernetes.io/component"
OUT_OF_BAND = kustomize.K8S_ROOT / "out-of-band-secrets.yaml"

Obj = dict[str, Any]


@functools.cache
def _rendered(overlay: str) -> tuple[Obj, ...]:
    return tuple(kustomize.render(overlay))


def rendered(overlay: str) -> list[Obj]:
    """The overlay rendered once per test session (tests must not mutate what they get)."""
    return list(_rendered(overlay))


def out_of_band(overlay: str) -> dict[str, list[str]]:
    """Secret name -> required keys, for the Secrets this overlay expects to exist already."""
    return yaml.safe_load(OUT_OF_BAND.read_text())[overlay] or {}


def find(objects: list[Obj], kind: str, name: str | None = None) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def one(objects: list[Obj], kind: str, name: str) -> Obj:
    found = find(objects, kind, name)
    assert len(found) == 1, f"expected exactly one {kind}/{name}, found {len(found)}"
    return found[0]


def by_unhashed_name(objects: list[Obj], kind: str, name: str) -> Obj | None:
    """The ConfigMap or Secret called `name` before kustomize appended its hash, if rendered."""
    found = [o for o in find(objects, kind) if kustomize.unhashed(o["metadata"]["name"]) == name]
    return found[0] if found else None


@dataclass(frozen=True)
class PodTemplate:
    workload: Obj

    @property
    def name(self) -> str:
        return self.workload["metadata"]["name"]

    @property
    def key(self) -> str:
        return f"{self.workload['kind'].lower()}/{self.name}"

    @property
    def labels(self) -> dict[str, str]:
        return self.workload["spec"]["template"]["metadata"].get("labels", {})

    @property
    def spec(self) -> Obj:
        return self.workload["spec"]["template"]["spec"]

    def containers(self, init: bool = True) -> list[Obj]:
        return list(self.spec.get("containers", [])) + (list(self.spec.get("initContainers", [])) if init else [])

    def container(self, name: str) -> Obj:
        return next(c for c in self.containers() if c["name"] == name)

    def port_names(self) -> dict[str, int]:
        return {p["name"]: p["containerPort"] for c in self.containers() for p in c.get("ports", []) if "name" in p}

    def port_numbers(self) -> set[int]:
        return {p["containerPort"] for c in self.containers() for p in c.get("ports", [])}

    def volume(self, name: str) -> Obj | None:
        volumes = {v["name"]: v for v in self.spec.get("volumes", [])}
        if name in volumes:
            return volumes[name]
        claims = {t["metadata"]["name"]: t for t in self.workload["spec"].get("volumeClaimTemplates", [])}
        return {"name": name, "persistentVolumeClaim": claims[name]} if name in claims else None

    def effective_security(self, container: Obj, field: str) -> Any:
        """A securityContext field as the kubelet applies it: the container's, else the pod's."""
        own = container.get("securityContext", {})
        return own[field] if field in own else self.spec.get("securityContext", {}).get(field)


def pod_templates(objects: list[Obj]) -> list[PodTemplate]:
    return [PodTemplate(o) for o in objects if o["kind"] in WORKLOAD_KINDS]


def template(objects: list[Obj], name: str) -> PodTemplate:
    found = [t for t in pod_templates(objects) if t.name == name]
    assert len(found) == 1, f"expected exactly one workload named {name}, found {len(found)}"
    return found[0]


def selects(selector: Obj | None, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) matches these labels.

    A Service's selector is a plain mapping: pass {"matchLabels": service["spec"]["selector"]}.
    """
    selector = selector or {}
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        matched = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[operator]
        if not matched:
            return False
    return True


def probes(container: Obj) -> Iterator[tuple[str, Obj]]:
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        if kind in container:
            yield kind, container[kind]


def config_value(objects: list[Obj], key: str, default: str | None = None) -> str | None:
    config = by_unhashed_name(objects, "ConfigMap", "app-config")
    assert config is not None, "ConfigMap app-config is not rendered"
    return config.get("data", {}).get(key, default)
