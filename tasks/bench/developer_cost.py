"""What a developer costs: one dev stack's requests and measured footprint, and how many stacks a node holds.

    requests = stack_requests(render("dev"))     # what the scheduler and a ResourceQuota count, per workload
    cost(rest, edits, requests)                  # the bench's "footprint" metric (rest, edits: footprint.py)

Every figure here comes from its arguments: no cluster is needed. The assumptions behind the node math are
the constants below; results carry them (`assumptions()`), so a table is never read without them.
"""

from __future__ import annotations

import math
import re
from typing import Any

MIB = 2**20

# Node sizes asked about, by memory.
NODE_SIZES_GIB = (8, 16, 32)
# What a node keeps from its pods for the OS, the kubelet and the container runtime (kube-reserved and
# system-reserved together), by GKE's documented rule: 25% of the first 4 GiB, 20% of the next 4 GiB,
# 10% of the next 8 GiB, 6% of the next 112 GiB, 2% of the rest (EKS reserves less memory on small nodes:
# 255 MiB plus 11 MiB per pod the node allows).
RESERVED_MEMORY_TIERS = ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06), (math.inf, 0.02))
# The kubelet's default hard eviction threshold (memory.available): pods never get it either.
EVICTION_HARD_MIB = 100
# Per-node agents every node runs as DaemonSets (kube-proxy, a CNI agent, a log or metrics agent): assumed to
# hold and request this much of what is left, whatever the node's size.
DAEMONSETS_MIB = 256
DAEMONSETS_CPU_MILLICORES = 200
# CPU comes with memory in general-purpose node shapes (e2-standard, m6i, D-series): 4 GiB per vCPU.
GIB_PER_VCPU = 4
# GKE's CPU reservation (EKS's too): 6% of the first core, 1% of the next, 0.5% of the next two, 0.25% of the rest.
RESERVED_CPU_TIERS = ((1, 0.06), (1, 0.01), (2, 0.005), (math.inf, 0.0025))
# Packing by working set takes each stack at its peak during edits, not at rest: nobody coordinates their
# saves, so every stack on the node may be mid-reload at once. No margin beyond that peak.
PACK_BY = "edits"

_SUFFIX = {"": 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_SUFFIX |= {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")


def quantity(value: str | int | float) -> float:
    """A Kubernetes quantity in base units: "256Mi" -> 268435456, "100m" -> 0.1, "1e3" -> 1000."""
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in _SUFFIX:
        raise ValueError(f"not a Kubernetes quantity: {value!r}")
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def _asked(container: dict[str, Any], resource: str) -> float:
    """What a container requests of RESOURCE; a limit alone is its request, as the API server defaults it."""
    resources = container.get("resources") or {}
    limit = (resources.get("limits") or {}).get(resource, 0)
    return quantity((resources.get("requests") or {}).get(resource, limit))


def _pod_total(spec: dict[str, Any], resource: str) -> float:
    sidecars = init_peak = 0.0
    for init in spec.get("initContainers") or []:
        if init.get("restartPolicy") == "Always":  # a sidecar: runs beside everything started after it
            sidecars += _asked(init, resource)
            init_peak = max(init_peak, sidecars)
        else:
            init_peak = max(init_peak, sidecars + _asked(init, resource))
    app = sum(_asked(container, resource) for container in spec.get("containers") or [])
    return max(app + sidecars, init_peak) + quantity((spec.get("overhead") or {}).get(resource, 0))


def pod_requests(spec: dict[str, Any]) -> tuple[int, float]:
    """What the scheduler reserves for a pod of SPEC: (memory bytes, CPU millicores).

    As Kubernetes counts it, each resource apart: the app containers together, or the largest init container if
    that is more (init containers run one at a time, before them); sidecars (init containers that restart
    Always) count beside every container started after them; plus the pod's overhead.
    """
    return int(_pod_total(spec, "memory")), round(_pod_total(spec, "cpu") * 1000, 1)


RUN_TO_COMPLETION = ("Job", "CronJob")


def surge_pods(obj: dict[str, Any]) -> int:
    """The extra pods a Deployment's rolling update may start beside the old ones: maxSurge (Kubernetes's default
    25%, a percentage of the replicas rounded up); none for Recreate or any other kind."""
    spec = obj.get("spec") or {}
    strategy = spec.get("strategy") or {}
    if obj["kind"] != "Deployment" or strategy.get("type") == "Recreate":
        return 0
    surge = (strategy.get("rollingUpdate") or {}).get("maxSurge", "25%")
    if isinstance(surge, str) and surge.endswith("%"):
        return math.ceil(spec.get("replicas", 1) * float(surge[:-1]) / 100)
    return int(surge)


def stack_requests(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """Requests of a rendered overlay's workloads, each pod counted as the scheduler counts it, times its replicas.

    `running` is what the stack holds once up (its Deployments, StatefulSets, DaemonSet pods on one node);
    `deploying` is the most it holds while it is rolled out again (a rebuild under skaffold dev or Tilt): each
    Deployment's surge pods beside its old ones, and the pods that run to completion (the migrate Job).
    """
    workloads, running, deploying = {}, [0.0, 0.0], [0.0, 0.0]  # totals: [memory MiB, CPU millicores]
    for obj in objects:
        kind, spec = obj["kind"], obj.get("spec") or {}
        if kind == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        if kind not in ("Deployment", "StatefulSet", "DaemonSet", *RUN_TO_COMPLETION):
            continue
        memory, cpu = pod_requests(spec["template"]["spec"])
        pod = (memory / MIB, cpu)
        replicas = spec.get("parallelism", 1) if kind in RUN_TO_COMPLETION else spec.get("replicas", 1)
        surge = surge_pods(obj)
        for i in (0, 1):
            running[i] += 0 if kind in RUN_TO_COMPLETION else pod[i] * replicas
            deploying[i] += pod[i] * (replicas + surge)
        name = ((obj["metadata"].get("labels") or {}).get("app.kubernetes.io/component")) or obj["metadata"]["name"]
        workloads[name] = {
            "kind": kind,
            "replicas": replicas,
            "surge_pods": surge,
            "memory_mib": round(pod[0] * replicas, 1),
            "cpu_millicores": round(pod[1] * replicas, 1),
        }
    return {
        "workloads": dict(sorted(workloads.items())),
        "running": {"memory_mib": round(running[0], 1), "cpu_millicores": round(running[1], 1)},
        "deploying": {"memory_mib": round(deploying[0], 1), "cpu_millicores": round(deploying[1], 1)},
    }


def _tiered(amount: float, tiers: tuple[tuple[float, float], ...]) -> float:
    reserved, left = 0.0, amount
    for size, share in tiers:
        reserved += min(left, size) * share
        left -= min(left, size)
        if left <= 0:
            break
    return reserved


def for_stacks(node_gib: float) -> tuple[float, float]:
    """What a node of NODE_GIB leaves for dev stacks: (memory MiB, CPU millicores), after what it reserves, its
    eviction threshold and its DaemonSets (the constants above)."""
    memory = node_gib * 1024 - _tiered(node_gib, RESERVED_MEMORY_TIERS) * 1024 - EVICTION_HARD_MIB - DAEMONSETS_MIB
    cores = node_gib / GIB_PER_VCPU
    cpu = (cores - _tiered(cores, RESERVED_CPU_TIERS)) * 1000 - DAEMONSETS_CPU_MILLICORES
    return round(memory, 1), round(cpu, 1)


def fits(room: float, each: float) -> int:
    """How many of EACH fit in ROOM (none when a stack costs nothing measurable)."""
    return math.floor(room / each) if each > 0 else 0


def per_node(working_set_mib: float, requests_mib: float, requests_millicores: float) -> list[dict[str, Any]]:
    """Developers per node for each size: by working set (packed as PACK_BY says), by memory requests and by CPU
    requests (the scheduler admits a pod only if both fit)."""
    rows = []
    for size in NODE_SIZES_GIB:
        memory, cpu = for_stacks(size)
        rows.append(
            {
                "node_gib": size,
                "vcpus": size / GIB_PER_VCPU,
                "for_stacks_mib": memory,
                "for_stacks_millicores": cpu,
                "by_working_set": fits(memory, working_set_mib),
                "by_memory_requests": fits(memory, requests_mib),
                "by_cpu_requests": fits(cpu, requests_millicores),
            }
        )
    return rows


def assumptions() -> dict[str, Any]:
    return {
        "reserved_memory": "GKE's rule: 25% of the first 4 GiB, 20% of the next 4, 10% of the next 8, 6% of the "
        "next 112, 2% above",
        "eviction_hard_mib": EVICTION_HARD_MIB,
        "daemonsets_mib": DAEMONSETS_MIB,
        "daemonsets_millicores": DAEMONSETS_CPU_MILLICORES,
        "gib_per_vcpu": GIB_PER_VCPU,
        "reserved_cpu": "GKE's rule: 6% of the first core, 1% of the next, 0.5% of the next two, 0.25% above",
        "pack_by_working_set_at": PACK_BY,
    }


def cost(rest: dict[str, Any], edits: dict[str, Any], requests: dict[str, Any]) -> dict[str, Any]:
    """The bench's footprint metric: the stack at rest and during edits (footprint.summarize), its requests
    (stack_requests), and developers per node."""
    peak = {"rest": rest, "edits": edits}[PACK_BY]["total"]["working_set_mib"]["max"]
    running = requests["running"]
    return {
        "rest": rest,
        "edits": edits,
        "requests": requests,
        "nodes": per_node(peak, running["memory_mib"], running["cpu_millicores"]),
        "assumptions": assumptions(),
    }
