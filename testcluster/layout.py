"""The test cluster's fixed addresses and ports on this host, and the kube kit's binaries it runs.

The run dir, cache and registry port are the product's (tasks/cluster/layout.py); what is here only
the binaries provider uses: one bridge, one node address, fixed ports, one test cluster per machine.
"""

from __future__ import annotations

BRIDGE = "shipyard0"  # Linux interface names are at most 15 characters
NODE_IP = "10.244.0.1"  # gateway address of the bridge: apiserver and kubelet bind here
POD_SUBNET = "10.244.0.0/24"
SVC_CIDR = "10.96.0.0/16"
DNS_IP = "10.96.0.10"
ETCD_PORT = 23790
ETCD_PEER_PORT = 23800
API_PORT = 16443
RT_TABLE = 1044  # policy-routing table (and rule priority) that keeps pod traffic on this host
# kubelet healthz, kube-proxy metrics and health, kubelet API, controller-manager, scheduler
FIXED_PORTS = (10248, 10249, 10250, 10256, 10257, 10259)
API_URL = f"https://{NODE_IP}:{API_PORT}"
# The shared-cluster tests' registry that requires a login (tests/support/auth_registry.py): containerd pulls
# from it over plain HTTP, as from the local registry, and the local registry never takes its port.
TEAM_REGISTRY_PORT = 5001
TEAM_REGISTRY = f"127.0.0.1:{TEAM_REGISTRY_PORT}"
# Never the local registry's port.
RESERVED_PORTS = frozenset({ETCD_PORT, ETCD_PEER_PORT, API_PORT, TEAM_REGISTRY_PORT, *FIXED_PORTS})
# The kube kit's binaries: the control plane and node daemons, and the client tools env() puts on PATH.
DAEMON_BINARIES = (
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "kube-proxy",
    "coredns",
    "kube-router",
)
CLIENT_BINARIES = ("crictl", "skaffold", "tilt")
