"""What a namespace's pods hold on their nodes: memory working set and CPU, per pod, per workload and in total.

Read from the kubelet's Summary API through the API server (`kubectl get --raw
/api/v1/nodes/NODE/proxy/stats/summary`), which every cluster serves: no metrics-server needed.

    usage = read(cluster, "dev-alice")             # one reading: usage.pods, usage.workloads(), usage.total()
    rest = at_rest(cluster, "dev-alice", 30)       # readings for 30 s: median and max of each figure
    with Window(cluster, "dev-alice") as edits:    # readings while the caller edits; edits.summary() after
        ...

A pod's working set is its own cgroup's, as the kubelet reports it (the figure it evicts by): its containers,
its sandbox, and what is still charged to the pod from containers that exited, such as an init container's
copy into an emptyDir (never less than its containers' sum, which is fresher: see pod_usage). The sum of its
containers' working sets (what the container runtime shows for each container) is kept beside it. CPU is
the kubelet's usageNanoCores in millicores: the pod's cgroup's rate over the kubelet's last two stats samples
(its housekeeping runs every 10-15 s), so a reading shows the last such interval. The functions above the
cluster helpers are pure: they work on parsed JSON.
"""

from __future__ import annotations

import json
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from tasks.cluster.client import Cluster, kubectl
from tasks.cluster.progress import ClusterError

MIB = 2**20
COMPONENT = "app.kubernetes.io/component"
FINISHED = ("Succeeded", "Failed")  # a finished pod holds no memory and is not the kubelet's to report


@dataclass(frozen=True)
class Usage:
    """Memory working set (bytes) and CPU (millicores); adds up."""

    working_set: int = 0
    containers_working_set: int = 0
    cpu_millicores: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.working_set + other.working_set,
            self.containers_working_set + other.containers_working_set,
            self.cpu_millicores + other.cpu_millicores,
        )


@dataclass(frozen=True)
class Reading:
    """One look at a namespace: each pod's usage, and which workload each pod belongs to."""

    namespace: str
    pods: dict[str, Usage]  # by pod name
    workload_of: dict[str, str] = field(default_factory=dict)  # pod name -> workload; a pod not in it: itself

    def workloads(self) -> dict[str, Usage]:
        return group(self.pods, self.workload_of)

    def total(self) -> Usage:
        return sum(self.pods.values(), Usage())


def pod_usage(pod: dict[str, Any]) -> Usage:
    """One pod entry of a Summary: the pod cgroup's figures, or its containers' where those say more.

    The kubelet refreshes a pod's own figures at its housekeeping (every 10-15 s) and its containers' at each
    request, so a new pod has no pod figures yet (or zeros) and a growing one may show less than its
    containers hold now: the pod holds at least what its containers do.
    """
    containers = pod.get("containers") or []
    containers_ws = sum((c.get("memory") or {}).get("workingSetBytes", 0) for c in containers)
    containers_cpu = sum((c.get("cpu") or {}).get("usageNanoCores", 0) for c in containers)
    working_set = (pod.get("memory") or {}).get("workingSetBytes") or 0
    nanocores = (pod.get("cpu") or {}).get("usageNanoCores") or containers_cpu
    return Usage(max(working_set, containers_ws), containers_ws, round(nanocores / 1e6, 3))


def pods_in_summary(summary: dict[str, Any], namespace: str) -> dict[str, Usage]:
    """The usage of NAMESPACE's pods in one node's Summary (`/stats/summary`), by pod name; no other namespace's."""
    return {
        pod["podRef"]["name"]: pod_usage(pod)
        for pod in summary.get("pods") or []
        if pod["podRef"]["namespace"] == namespace
    }


def workload_of(pod: dict[str, Any]) -> str:
    """The workload a pod object belongs to: its app.kubernetes.io/component label, else its owner (a ReplicaSet
    by its Deployment's name), else the pod's own name."""
    meta = pod["metadata"]
    labels = meta.get("labels") or {}
    if labels.get(COMPONENT):
        return labels[COMPONENT]
    for owner in meta.get("ownerReferences") or []:
        name, template_hash = owner["name"], labels.get("pod-template-hash")
        if owner["kind"] == "ReplicaSet" and template_hash and name.endswith(f"-{template_hash}"):
            return name.removesuffix(f"-{template_hash}")
        return name
    return meta["name"]


def live_pods(pod_list: dict[str, Any]) -> tuple[dict[str, str], set[str]]:
    """The pods of a PodList that have not finished: (pod name -> workload, the nodes they run on)."""
    live = [pod for pod in pod_list["items"] if (pod.get("status") or {}).get("phase") not in FINISHED]
    nodes = {pod["spec"]["nodeName"] for pod in live if pod["spec"].get("nodeName")}
    return {pod["metadata"]["name"]: workload_of(pod) for pod in live}, nodes


def group(pods: dict[str, Usage], workloads: dict[str, str]) -> dict[str, Usage]:
    """Pods' usage summed by workload (a pod whose workload is unknown stands for itself)."""
    out: dict[str, Usage] = {}
    for name, usage in pods.items():
        key = workloads.get(name, name)
        out[key] = out.get(key, Usage()) + usage
    return dict(sorted(out.items()))


def _spread(values: list[float], scale: float) -> dict[str, float]:
    return {"median": round(statistics.median(values) / scale, 1), "max": round(max(values) / scale, 1)}


def _figures(usages: list[Usage]) -> dict[str, dict[str, float]]:
    return {
        "working_set_mib": _spread([u.working_set for u in usages], MIB),
        "containers_working_set_mib": _spread([u.containers_working_set for u in usages], MIB),
        "cpu_millicores": _spread([u.cpu_millicores for u in usages], 1),
    }


def summarize(readings: list[Reading], seconds: float) -> dict[str, Any]:
    """Median and max of each figure over READINGS, per pod, per workload and for the total (each reading's sum,
    so the total's max is the most seen at one time)."""
    if not readings:
        raise ValueError("no readings to summarise")
    pods: dict[str, list[Usage]] = {}
    workloads: dict[str, list[Usage]] = {}
    for reading in readings:
        for name, usage in reading.pods.items():
            pods.setdefault(name, []).append(usage)
        for name, usage in reading.workloads().items():
            workloads.setdefault(name, []).append(usage)
    last = readings[-1].workload_of
    return {
        "namespace": readings[0].namespace,
        "seconds": round(seconds, 1),
        "readings": len(readings),
        "pods": {name: {"workload": last.get(name, name), **_figures(u)} for name, u in sorted(pods.items())},
        "workloads": {name: _figures(u) for name, u in sorted(workloads.items())},
        "total": _figures([reading.total() for reading in readings]),
    }


# On a cluster.


def nodes(cluster: Cluster) -> list[str]:
    return kubectl(cluster, "get", "nodes", "-o", "name").stdout.replace("node/", "").split()


def summary(cluster: Cluster, node: str) -> dict[str, Any]:
    """NODE's kubelet Summary, through the API server's node proxy."""
    return json.loads(kubectl(cluster, "get", "--raw", f"/api/v1/nodes/{node}/proxy/stats/summary").stdout)


def running_pods(cluster: Cluster, namespace: str) -> tuple[dict[str, str], set[str]]:
    """NAMESPACE's pods that have not finished: (pod name -> workload, the nodes they run on)."""
    return live_pods(json.loads(kubectl(cluster, "-n", namespace, "get", "pods", "-o", "json").stdout))


def read(cluster: Cluster, namespace: str, on: list[str] | None = None) -> Reading:
    """One reading of NAMESPACE: the Summary of every node (or of the nodes ON), its pods that have not finished."""
    workloads, _ = running_pods(cluster, namespace)
    found: dict[str, Usage] = {}
    for node in on if on is not None else nodes(cluster):
        found |= pods_in_summary(summary(cluster, node), namespace)
    return Reading(namespace, {name: u for name, u in found.items() if name in workloads}, workloads)


class Window:
    """Readings of NAMESPACE every EVERY seconds in a thread, from entering to leaving the block; summary() after.

    It lists the namespace's pods (which workload, which node) at the first reading, every RELIST readings
    after, and when a pod it does not know shows up, so a reading is mostly one Summary per node that runs
    them. A reading the API server did not answer is counted in `missed`.
    """

    RELIST = 10

    def __init__(self, cluster: Cluster, namespace: str, every: float = 2.0) -> None:
        self.cluster, self.namespace, self.every = cluster, namespace, every
        self.readings: list[Reading] = []
        self.missed = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"footprint-{namespace}", daemon=True)
        self._workloads: dict[str, str] = {}
        self._nodes: set[str] = set()
        self._began = self._ended = 0.0

    def __enter__(self) -> Window:
        self._began = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._ended = time.monotonic()

    def take(self) -> None:
        """One reading now."""
        if not self._nodes or len(self.readings) % self.RELIST == 0:
            self._workloads, self._nodes = running_pods(self.cluster, self.namespace)
        found: dict[str, Usage] = {}
        for node in sorted(self._nodes):
            found |= pods_in_summary(summary(self.cluster, node), self.namespace)
        if set(found) - set(self._workloads):  # a new pod (a rollout): which workload, which node
            self._workloads, self._nodes = running_pods(self.cluster, self.namespace)
        pods = {name: usage for name, usage in found.items() if name in self._workloads}
        if pods:
            self.readings.append(Reading(self.namespace, pods, dict(self._workloads)))

    def _run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                self.take()
            except (ClusterError, ValueError, KeyError):
                self.missed += 1
            if self._stop.wait(max(0.0, self.every - (time.monotonic() - started))):
                return

    def summary(self) -> dict[str, Any]:
        """Median and max of each figure over the window (summarize); ValueError if no reading found a pod."""
        if not self.readings:
            raise ValueError(f"no reading of namespace {self.namespace} found a running pod ({self.missed} missed)")
        return {**summarize(self.readings, self._ended - self._began), "missed": self.missed}


def at_rest(cluster: Cluster, namespace: str, seconds: float, every: float = 2.0) -> dict[str, Any]:
    """Readings of NAMESPACE for SECONDS while nothing is done to it: its median and max."""
    with Window(cluster, namespace, every) as window:
        time.sleep(seconds)
    return window.summary()
