"""Read a workload's pod template out of rendered manifests into plain, runnable terms.

What kubelet would derive: each container's effective command, environment (envFrom and
env, resolved against the rendered ConfigMaps and Secrets), user, filesystem and
capability settings, mounts and probes. tasks/containers/podrun.py turns it into `docker run`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

APP_IMAGE = "shipyard-app"
WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")


class SpecError(ValueError):
    """The manifests do not say how to run what was asked for; str() says what is missing."""


@dataclass
class Container:
    name: str
    image: str
    argv: list[str]  # command + args, as kubelet execs them
    env: dict[str, str]
    user: int | None
    group: int | None
    read_only: bool
    drop_all: bool
    no_new_privileges: bool
    mounts: list[tuple[str, str]]  # (volume name, mount path)
    ports: dict[str, int] = field(default_factory=dict)
    probes: dict[str, dict] = field(default_factory=dict)
    pre_stop: dict | None = None

    @property
    def uses_app_image(self) -> bool:
        return self.image.split("@")[0].split(":")[0].rsplit("/", 1)[-1] == APP_IMAGE


@dataclass
class Pod:
    workload: str
    kind: str
    init_containers: list[Container]
    containers: list[Container]
    empty_dirs: dict[str, str]  # volume name -> medium ("" or "Memory")
    grace_seconds: int


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    for obj in objects:
        if obj["kind"] == kind and obj["metadata"]["name"] == name:
            return obj
    raise SpecError(f"no {kind} named {name!r} in the rendered manifests")


def workload(objects: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for obj in objects:
        if obj["kind"] in WORKLOAD_KINDS and obj["metadata"]["name"] == name:
            return obj
    raise SpecError(f"no workload named {name!r}: have {', '.join(workload_names(objects))}")


def workload_names(objects: list[dict[str, Any]]) -> list[str]:
    return [o["metadata"]["name"] for o in objects if o["kind"] in WORKLOAD_KINDS]


def _data(obj: dict[str, Any]) -> dict[str, str]:
    if obj["kind"] == "Secret":
        decoded = {k: base64.b64decode(v).decode() for k, v in (obj.get("data") or {}).items()}
        return {**decoded, **(obj.get("stringData") or {})}
    return dict(obj.get("data") or {})


def _source(objects, kind: str, name: str, out_of_band: dict[str, dict[str, str]]) -> dict[str, str]:
    if kind == "Secret" and name in out_of_band:
        return out_of_band[name]
    return _data(find(objects, kind, name))


def resolve_env(
    container: dict[str, Any], objects: list[dict[str, Any]], out_of_band: dict[str, dict[str, str]]
) -> dict[str, str]:
    """envFrom then env, as kubelet layers them; out_of_band supplies Secrets not in git."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        kind, ref = (
            ("ConfigMap", source["configMapRef"]) if "configMapRef" in source else ("Secret", source["secretRef"])
        )
        env.update(
            {source.get("prefix", "") + k: v for k, v in _source(objects, kind, ref["name"], out_of_band).items()}
        )
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        elif ref := item.get("valueFrom", {}).get("configMapKeyRef"):
            env[item["name"]] = _source(objects, "ConfigMap", ref["name"], out_of_band)[ref["key"]]
        elif ref := item.get("valueFrom", {}).get("secretKeyRef"):
            env[item["name"]] = _source(objects, "Secret", ref["name"], out_of_band)[ref["key"]]
        else:
            raise SpecError(
                f"env {item['name']} of {container['name']}: only values and ConfigMap/Secret keys are supported"
            )
    return env


def _container(raw: dict[str, Any], pod_security: dict[str, Any], objects, out_of_band) -> Container:
    security = {**pod_security, **(raw.get("securityContext") or {})}
    return Container(
        name=raw["name"],
        image=raw["image"],
        argv=[*raw.get("command", []), *raw.get("args", [])],
        env=resolve_env(raw, objects, out_of_band),
        user=security.get("runAsUser"),
        group=security.get("runAsGroup"),
        read_only=bool(security.get("readOnlyRootFilesystem")),
        drop_all="ALL" in (security.get("capabilities") or {}).get("drop", []),
        no_new_privileges=security.get("allowPrivilegeEscalation") is False,
        mounts=[(m["name"], m["mountPath"]) for m in raw.get("volumeMounts", [])],
        ports={p.get("name", str(p["containerPort"])): p["containerPort"] for p in raw.get("ports", [])},
        probes={kind: raw[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe") if kind in raw},
        pre_stop=(raw.get("lifecycle") or {}).get("preStop"),
    )


def pod(objects: list[dict[str, Any]], name: str, out_of_band: dict[str, dict[str, str]] | None = None) -> Pod:
    """The pod a workload would run, with env resolved; out_of_band: Secret name -> data."""
    obj = workload(objects, name)
    spec = obj["spec"]["template"]["spec"]
    pod_security = {k: v for k, v in (spec.get("securityContext") or {}).items() if k in ("runAsUser", "runAsGroup")}
    empty_dirs = {}
    for volume in spec.get("volumes", []):
        if "emptyDir" not in volume:
            raise SpecError(f"{name}: volume {volume['name']} is not an emptyDir; only emptyDirs run in Docker")
        empty_dirs[volume["name"]] = (volume["emptyDir"] or {}).get("medium", "")
    build = [_container(raw, pod_security, objects, out_of_band or {}) for raw in spec["containers"]]
    init = [_container(raw, pod_security, objects, out_of_band or {}) for raw in spec.get("initContainers", [])]
    return Pod(name, obj["kind"], init, build, empty_dirs, spec.get("terminationGracePeriodSeconds", 30))
