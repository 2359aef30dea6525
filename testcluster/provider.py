"""The binaries provider as `invoke cluster.*` sees it (tasks/cluster/lifecycle.py, through providers.py):
is the kube kit here, may this host take the test cluster, start it, are its daemons alive, stop it."""

from __future__ import annotations

from tasks.cluster.layout import Layout
from tasks.cluster.progress import ClusterError, Log
from tasks.cluster.state import State
from testcluster import host_paths, network, prerequisites, processes, start, teardown
from testcluster.layout import NODE_IP, RESERVED_PORTS

__all__ = ["HOST_PATHS", "NODE_IP", "RESERVED_PORTS"]

HOST_PATHS = host_paths.ALL  # host paths kubelet and libcni hard-code: `down` removes them only if `up` made them


def present(layout: Layout) -> bool:
    """The kube kit's binaries are at layout.kit_dir."""
    return prerequisites.kit_present(layout)


def preflight(layout: Layout, leftovers_are_ours: bool = False) -> None:
    """Root, the Debian packages, the kube kit, kubectl, br_netfilter, and no clash on the host network;
    a stopped test cluster's own bridge and routes (LEFTOVERS_ARE_OURS) are no clash."""
    prerequisites.check_root()
    prerequisites.check_packages()
    prerequisites.check_kit(layout)
    prerequisites.kubectl()
    prerequisites.br_netfilter()
    clash = None if leftovers_are_ours else network.clash(layout)
    if clash:
        raise ClusterError(clash)


def absent_host_paths() -> list[str]:
    """The hard-coded host paths not there yet: recorded before `up`, so `down` removes exactly those."""
    return host_paths.absent()


def daemons(layout: Layout) -> tuple[list[str], list[str]]:
    """(names of the daemons the run dir recorded, names of those that stopped)."""
    records = processes.records(layout.pids)
    return [r.name for r in records], [r.name for r in records if not processes.alive(r)]


def run(layout: Layout, log: Log) -> None:
    """Start the test cluster: network, certificates, daemons, add-ons; return once the node is Ready."""
    start.start(layout, log)


def stop(layout: Layout, recorded: State | None, log: Log) -> None:
    prerequisites.check_root()
    teardown.stop(layout, recorded, log)


def leftovers(layout: Layout) -> list[str]:
    """What of the test cluster is still on the host (empty after a clean stop)."""
    return teardown.leftovers(layout)


def bridge_exists() -> bool:
    return network.bridge_exists()
