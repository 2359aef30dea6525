"""Stop the test cluster and remove every trace of it; say what (if anything) is left.

Only the daemons recorded in the run dir are signalled, and containerd shims whose command line names
this run's containerd socket. KUBE-*/CNI-* chains and kubepods cgroups are shared names: they are left
alone while another cluster's kube-proxy, kubelet or kube-router runs in this network namespace.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from pathlib import Path

from tasks.cluster.layout import Layout
from tasks.cluster.progress import Log
from tasks.cluster.state import State
from testcluster import firewall, host_paths, network, processes
from testcluster.start import PROVISIONER

# Stop order: first what would recreate pods, then the runtime (after its pods), then the rest.
CONTROLLERS = (PROVISIONER, "kube-controller-manager", "kube-scheduler", "kubelet")
LAST = ("kube-router", "kube-proxy", "kube-apiserver", "registry", "etcd")


def _shims(layout: Layout) -> list[int]:
    """containerd shims serving this run's containerd: their command line names its socket."""
    socket = str(layout.containerd_socket)
    return processes.pids_matching(lambda argv: "containerd-shim" in argv[0] and socket in argv)


def _foreign_kube_daemons(layout: Layout) -> list[str]:
    """kube-proxy/kubelet/kube-router processes in this network namespace that are not ours: another
    cluster's, which shares the host's KUBE-* chains and kubepods cgroups."""
    ours = {record.pid for record in processes.records(layout.pids)}
    try:
        own_netns = os.readlink("/proc/self/ns/net")
    except OSError:
        own_netns = ""

    def foreign(argv: list[str]) -> bool:
        return Path(argv[0]).name in ("kube-proxy", "kubelet", "kube-router")

    found = []
    for pid in processes.pids_matching(foreign):
        try:
            same_netns = os.readlink(f"/proc/{pid}/ns/net") == own_netns
        except OSError:
            continue
        if pid not in ours and same_netns:
            found.append(f"{Path((processes.cmdline(pid) or ['?'])[0]).name} (pid {pid})")
    return found


def _remove_pods(layout: Layout, log: Log) -> None:
    """Every pod sandbox through CRI: runs CNI DEL (veth, IPAM, portmap/firewall rules), ends the shims."""
    containerd = processes.load(layout.pids, "containerd")
    crictl = layout.binary("crictl")
    if containerd is None or not processes.alive(containerd) or not Path(crictl).exists():
        return
    if not layout.containerd_socket.exists():
        return
    base = [crictl, "--config", str(layout.crictl_config)]
    listed = subprocess.run([*base, "pods", "-q"], capture_output=True, text=True, timeout=60, check=False)
    pods = listed.stdout.split()
    if pods:
        subprocess.run([*base, "stopp", *pods], capture_output=True, timeout=120, check=False)
        subprocess.run([*base, "rmp", "-f", *pods], capture_output=True, timeout=120, check=False)
    deadline = time.monotonic() + 10
    while _shims(layout) and time.monotonic() < deadline:
        time.sleep(0.1)
    log(f"pod sandboxes removed ({len(pods)})")


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root) + "/"
    points = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        point = line.split()[1].replace("\\040", " ")
        if point.startswith(prefix):
            points.append(point)
    return points


def _remove_cgroups() -> None:
    """kubelet's kubepods hierarchy in each cgroup controller (v1) or the unified tree (v2), deepest first."""
    for top in [Path("/sys/fs/cgroup/kubepods"), *Path("/sys/fs/cgroup").glob("*/kubepods")]:
        if top.is_dir():
            nested = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True)
            for directory in [*nested, top]:
                with contextlib.suppress(OSError):  # a cgroup with processes in it stays
                    directory.rmdir()


def leftovers(layout: Layout) -> list[str]:
    """What of a test cluster is still on the host (empty after a clean `stop`)."""
    found = [f"process {r.name} (pid {r.pid})" for r in processes.records(layout.pids) if processes.alive(r)]
    found += [f"containerd shim pid {pid}" for pid in _shims(layout)]
    found += [f"mount {point}" for point in _mounts_under(layout.run_dir)]
    found += network.leftovers()
    if not _foreign_kube_daemons(layout):
        found += [f"iptables chain {chain}" for chain in firewall.chains()]
        found += [f"ipset {name}" for name in firewall.ipsets()]
    return found


def stop(layout: Layout, recorded: State | None, log: Log) -> None:
    """Stop the test cluster and remove what it made. Safe on a half-started or already stopped one."""
    notes = [processes.stop(layout.pids, name, 20 if name == "kubelet" else 15) for name in CONTROLLERS]
    log("controllers, scheduler and kubelet stopped")
    _remove_pods(layout, log)
    notes.append(processes.stop(layout.pids, "containerd", 20))
    processes.kill_all(_shims(layout))  # a shim still bound to our socket outlived its containerd
    notes += [processes.stop(layout.pids, name) for name in LAST]
    notes += [processes.stop(layout.pids, record.name) for record in processes.records(layout.pids)]
    for note in filter(None, notes):
        log(note)
    log("processes stopped")

    foreign = _foreign_kube_daemons(layout)
    if foreign:
        log(f"left KUBE-*/CNI-* iptables chains and kubepods cgroups alone: another cluster runs {foreign[0]}")
    else:
        kube_proxy = layout.binary("kube-proxy")
        if Path(kube_proxy).exists():
            subprocess.run([kube_proxy, "--cleanup"], capture_output=True, timeout=60, check=False)
        firewall.clean()
        _remove_cgroups()
    for point in sorted(_mounts_under(layout.run_dir), key=len, reverse=True):
        subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    network.remove()
    if recorded is not None:
        host_paths.clean(recorded.created_paths, recorded.started_at)
    log("iptables, ipsets, mounts, bridge, routes and host paths cleaned")
