"""The test cluster's host network: its bridge, the Service route and the policy rule that keeps pod
traffic on this host; and the clash checks that run before anything is changed."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tasks.cluster.layout import Layout
from tasks.cluster.progress import ClusterError
from tasks.cluster.registry import listener
from testcluster.layout import (
    API_PORT,
    BRIDGE,
    ETCD_PEER_PORT,
    ETCD_PORT,
    FIXED_PORTS,
    NODE_IP,
    POD_SUBNET,
    RT_TABLE,
    SVC_CIDR,
)


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise ClusterError(f"ip {' '.join(args)} failed: {result.stderr.strip()}")
    return result


def bridge_exists() -> bool:
    return Path("/sys/class/net", BRIDGE).exists()


def clash(layout: Layout) -> str | None:
    """Why this host cannot take the test cluster now (another cluster's bridge, address, routes or ports)."""
    if bridge_exists():
        return f"interface {BRIDGE} exists (left over from a test cluster?): run `invoke cluster.down` first"
    owner = ip("-o", "-4", "addr", "show").stdout
    for line in owner.splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[3].startswith(f"{NODE_IP}/"):
            return f"address {NODE_IP} is already on interface {fields[1]} (another cluster, e.g. the kube kit's?)"
    for net in (POD_SUBNET, SVC_CIDR):
        route = ip("route", "show", "exact", net, check=False).stdout.strip()
        if route:
            return f"route '{route}' clashes with the cluster's {net}: stop whatever created it"
    if f"{RT_TABLE}:" in ip("rule", "show", check=False).stdout:
        return f"a policy-routing rule with priority {RT_TABLE} exists (another cluster?)"
    for port in (ETCD_PORT, ETCD_PEER_PORT, API_PORT, layout.registry_port, *FIXED_PORTS):
        user = listener(port)
        if user is not None:
            return f"TCP port {port} is already in use by {user} (another cluster?)"
    return None


def _sysctl(path: str) -> None:
    knob = Path("/proc/sys", path)
    if knob.read_text().strip() != "1":
        knob.write_text("1\n")


def create() -> None:
    """The bridge first: apiserver and kubelet bind its address before the CNI plugin ever runs."""
    ip("link", "add", BRIDGE, "type", "bridge")
    ip("addr", "replace", f"{NODE_IP}/24", "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")
    # Left at 1 by `down`: Docker sets both too, and resetting them would break its containers.
    _sysctl("net/bridge/bridge-nf-call-iptables")
    _sysctl("net/ipv4/ip_forward")
    # The host reaches unknown ClusterIPs through the bridge, not its default gateway; packets routed
    # from pods use a table that knows only the pod subnet and is unreachable otherwise.
    ip("route", "replace", SVC_CIDR, "dev", BRIDGE)
    ip("route", "add", POD_SUBNET, "dev", BRIDGE, "table", str(RT_TABLE))
    ip("route", "add", "unreachable", "default", "table", str(RT_TABLE))
    ip("rule", "add", "iif", BRIDGE, "lookup", str(RT_TABLE), "priority", str(RT_TABLE))
    allow_pod_forwarding()


def allow_pod_forwarding() -> None:
    """Forward pod traffic whatever the FORWARD policy (Docker sets DROP). The CNI firewall plugin
    allows each pod by its own rule, added and removed per pod; we saw a new web pod left without
    one, so that nothing it sent (DNS first) was forwarded. Its admin chain, which it runs first,
    allows the whole pod subnet instead. NetworkPolicy still applies: kube-router's chain comes
    before CNI-FORWARD in FORWARD, and rejects what no policy allows."""
    replies = ["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"]
    for rule in (["-s", POD_SUBNET, "-j", "ACCEPT"], ["-d", POD_SUBNET, *replies, "-j", "ACCEPT"]):
        subprocess.run(["iptables", "-N", "CNI-ADMIN"], capture_output=True, check=False)  # exists: fine
        if subprocess.run(["iptables", "-C", "CNI-ADMIN", *rule], capture_output=True).returncode != 0:
            subprocess.run(["iptables", "-A", "CNI-ADMIN", *rule], capture_output=True, check=True)


def remove() -> None:
    """Route, rule, table and bridge; each only if there (safe to repeat)."""
    ip("route", "del", SVC_CIDR, "dev", BRIDGE, check=False)
    while ip("rule", "del", "priority", str(RT_TABLE), check=False).returncode == 0:
        pass
    ip("route", "flush", "table", str(RT_TABLE), check=False)
    ip("link", "del", BRIDGE, check=False)


def leftovers() -> list[str]:
    """The cluster's network pieces still on the host."""
    found = []
    if bridge_exists():
        found.append(f"interface {BRIDGE}")
    if ip("route", "show", "exact", SVC_CIDR, check=False).stdout.strip():
        found.append(f"route {SVC_CIDR}")
    if f"{RT_TABLE}:" in ip("rule", "show", check=False).stdout:
        found.append(f"ip rule {RT_TABLE}")
    if ip("route", "show", "table", str(RT_TABLE), check=False).stdout.strip():
        found.append(f"routing table {RT_TABLE}")
    return found
