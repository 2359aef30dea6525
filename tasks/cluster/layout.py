"""Where the test cluster keeps its files, its name and its registry port.

Everything a cluster writes lives under one run directory (SHIPYARD_CLUSTER_DIR); only the
binaries unpacked from the kube kit go to a cache (SHIPYARD_CLUSTER_CACHE) that `down` keeps.
The name is fixed: one test cluster per machine. The binaries provider's own addresses and ports
are in testcluster/layout.py.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tasks.cluster.progress import ClusterError
from tasks.paths import ROOT

NAME = "shipyard-test"  # kubeconfig context and cluster, kind cluster, CNI network, node name
DEFAULT_REGISTRY_PORT = 5000
DEFAULT_RUN_DIR = "/var/tmp/shipyard-cluster"


def default_cache_dir() -> Path:
    """/var/cache for root (the binaries provider needs root); a user's own cache for kind without root."""
    if os.geteuid() == 0:
        return Path("/var/cache/shipyard-cluster")
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "shipyard" / "cluster"


@dataclass(frozen=True)
class Layout:
    run_dir: Path
    cache_dir: Path
    kit_dir: Path
    registry_port: int = DEFAULT_REGISTRY_PORT

    @property
    def registry(self) -> str:
        return f"127.0.0.1:{self.registry_port}"

    @property
    def kubeconfig(self) -> Path:
        """The kubeconfig users and tests get: context NAME, never merged into ~/.kube/config."""
        return self.run_dir / "kubeconfig"

    @property
    def state_file(self) -> Path:
        return self.run_dir / "state.json"

    @property
    def marker(self) -> Path:
        """Proves a directory is a test cluster's run dir before `down` deletes it."""
        return self.run_dir / ".shipyard-cluster"

    @property
    def pids(self) -> Path:
        return self.run_dir / "pids"

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    @property
    def pki(self) -> Path:
        return self.run_dir / "pki"

    @property
    def conf(self) -> Path:
        return self.run_dir / "conf"

    @property
    def volumes(self) -> Path:
        """Where the volume provisioner makes each PersistentVolume's directory."""
        return self.run_dir / "volumes"

    @property
    def containerd_socket(self) -> Path:
        return self.run_dir / "containerd" / "containerd.sock"

    @property
    def crictl_config(self) -> Path:
        return self.conf / "crictl.yaml"

    @property
    def kube_cache(self) -> Path:
        """kubectl's discovery and HTTP cache for this cluster: here, not in ~/.kube/cache."""
        return self.run_dir / "kube-cache"

    @property
    def bin_dir(self) -> Path:
        return self.cache_dir / "bin"

    @property
    def lock_file(self) -> Path:
        return self.cache_dir / "cluster.lock"

    def binary(self, name: str) -> str:
        return str(self.bin_dir / name)


def bypass_proxy(environ: dict[str, str]) -> dict[str, str]:
    """ENVIRON with the cluster's addresses in NO_PROXY: kubectl, skaffold and tilt talk to it directly."""
    from tasks.cluster import providers  # the binaries provider's node address; kind's are on loopback

    local = [providers.addresses().NODE_IP, "127.0.0.1", "localhost"]
    for name in ("NO_PROXY", "no_proxy"):
        present = [h for h in environ.get(name, "").split(",") if h]
        environ[name] = ",".join(present + [h for h in local if h not in present])
    return environ


def _port(variable: str, default: int) -> int:
    raw = os.environ.get(variable, str(default))
    if not raw.isdigit() or not 1 <= int(raw) <= 65535:
        raise ClusterError(f"{variable}={raw!r} is not a port number")
    return int(raw)


def current(registry_port: int | None = None) -> Layout:
    """The layout from the environment (SHIPYARD_CLUSTER_DIR, SHIPYARD_CLUSTER_CACHE, SHIPYARD_KUBE_DIR,
    SHIPYARD_REGISTRY_PORT); registry_port overrides the environment's."""
    run_dir = Path(os.environ.get("SHIPYARD_CLUSTER_DIR", DEFAULT_RUN_DIR))
    cache_dir = Path(os.environ.get("SHIPYARD_CLUSTER_CACHE", default_cache_dir()))
    kit_dir = Path(os.environ.get("SHIPYARD_KUBE_DIR", ROOT.parent / "shared" / "kube"))
    port = registry_port or _port("SHIPYARD_REGISTRY_PORT", DEFAULT_REGISTRY_PORT)
    layout = Layout(run_dir=run_dir, cache_dir=cache_dir, kit_dir=kit_dir.resolve(), registry_port=port)
    validate(layout)
    return layout


def validate(layout: Layout) -> None:
    """Refuse directories `down` could not safely delete, and a registry port the cluster or its tests use."""
    for what, path in (("SHIPYARD_CLUSTER_DIR", layout.run_dir), ("SHIPYARD_CLUSTER_CACHE", layout.cache_dir)):
        if not path.is_absolute() or len(path.parts) < 3 or ".." in path.parts:
            raise ClusterError(f"{what}={path} must be an absolute path at least two levels deep")
        for inside, name in ((layout.kit_dir, "the kube kit"), (ROOT, "the repository")):
            if path == inside or inside in path.parents:
                raise ClusterError(f"{what}={path} must be outside {name} ({inside})")
    if layout.run_dir == layout.cache_dir or layout.run_dir in layout.cache_dir.parents:
        raise ClusterError("SHIPYARD_CLUSTER_CACHE must not be inside SHIPYARD_CLUSTER_DIR (`down` deletes that)")
    from tasks.cluster import providers

    if layout.registry_port in providers.addresses().RESERVED_PORTS:
        raise ClusterError(f"registry port {layout.registry_port} is taken by the cluster or its tests: pick another")
