"""What the test cluster on binaries needs from the host, each missing piece named in one line with its fix."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from tasks.cluster.layout import Layout
from tasks.cluster.progress import ClusterError
from tasks.paths import tool
from testcluster.layout import DAEMON_BINARIES

# The Debian packages of the kube kit's README; `bin/setup --loop` (and --services) installs them.
PACKAGES = (
    "containerd",
    "runc",
    "etcd-server",
    "containernetworking-plugins",
    "docker-registry",
    "iptables",
    "ipset",
    "conntrack",
    "socat",
    "xz-utils",
    "openssl",
    "iproute2",
)
FIX = "run `./bin/setup --loop` (as root)"


def installed(package: str) -> bool:
    """dpkg knows the package as fully installed ("ii")."""
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${db:Status-Abbrev}", package], capture_output=True, text=True, check=False
    )
    return result.returncode == 0 and result.stdout.startswith("ii")


def missing_packages(packages: Iterable[str] = PACKAGES, is_installed: Callable[[str], bool] = installed) -> list[str]:
    return [p for p in packages if not is_installed(p)]


def check_packages(is_installed: Callable[[str], bool] = installed) -> None:
    if shutil.which("dpkg-query") is None:
        raise ClusterError(
            f"the test cluster on binaries needs Debian (no dpkg-query here): use kind instead ({FIX} on Debian)"
        )
    missing = missing_packages(is_installed=is_installed)
    if missing:
        noun = "package" if len(missing) == 1 else "packages"
        raise ClusterError(f"Debian {noun} {' '.join(missing)} missing for the test cluster: {FIX}")


def check_root() -> None:
    if os.geteuid() != 0:
        raise ClusterError(
            "the test cluster on binaries needs root (it makes a bridge, iptables rules and mounts): run as root"
        )


def check_kit(layout: Layout) -> None:
    wanted = [layout.kit_dir / "bin" / f"{name}.xz" for name in DAEMON_BINARIES]
    wanted += [layout.kit_dir / "bin" / "runc-no-negative-oom", layout.kit_dir / "manifests" / "coredns.yaml"]
    absent = [str(p) for p in wanted if not p.exists()]
    if absent:
        raise ClusterError(
            f"the kube kit is not at {layout.kit_dir} ({absent[0]} missing): set SHIPYARD_KUBE_DIR to its folder"
        )


def kubectl() -> str:
    try:
        return tool("kubectl")
    except FileNotFoundError as error:
        raise ClusterError(str(error)) from None


def kit_present(layout: Layout) -> bool:
    return (layout.kit_dir / "bin" / "kube-apiserver.xz").exists()


def br_netfilter() -> None:
    """Services need bridged packets to pass through iptables."""
    knob = Path("/proc/sys/net/bridge/bridge-nf-call-iptables")
    if not knob.exists():
        subprocess.run(["modprobe", "br_netfilter"], capture_output=True, check=False)
    if not knob.exists():
        raise ClusterError("kernel module br_netfilter is not available (Services would not work across the bridge)")
