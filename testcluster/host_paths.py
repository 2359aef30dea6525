"""The few host paths outside the run dir that kubelet 1.26, containerd and libcni hard-code.

`up` records which of them did not exist; `down` removes those whole, and of the others only the
entries this cluster made (libcni results named for its network, pod logs and network namespaces
created since it started), never anything another program put there.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from pathlib import Path

from tasks.cluster.layout import NAME

LOGS = ("/var/log/pods", "/var/log/containers")  # kubelet 1.26 hard-codes both
CNI_CACHE = "/var/lib/cni"  # libcni's cache: results/<network>-<container>-<interface>
CNI_RESULTS = "/var/lib/cni/results"
NETNS = "/run/netns"  # containerd's pod network namespaces, cni-<uuid> (bind mounts)
SHIM_SOCKETS = "/run/containerd"  # containerd 1.6 puts its shims' sockets in /run/containerd/s, whatever its state dir
# kubelet 1.26 makes its device-plugin socket there whatever its --root-dir
DEVICE_PLUGINS = ("/var/lib/kubelet", "/var/lib/kubelet/device-plugins")
ALL = (*LOGS, CNI_CACHE, CNI_RESULTS, NETNS, SHIM_SOCKETS, *DEVICE_PLUGINS)


def absent() -> list[str]:
    """The host paths that do not exist yet (`up` records them before the cluster starts)."""
    return [path for path in ALL if not Path(path).exists()]


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _newer(path: Path, since: float) -> bool:
    try:
        return path.lstat().st_mtime >= since
    except FileNotFoundError:
        return False


def _prune_empty(root: Path) -> None:
    """Remove ROOT's empty directories, deepest first, and ROOT if that empties it: another containerd's
    sockets there (a system containerd started meanwhile) keep theirs."""
    if not root.is_dir():
        return
    for directory in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()
    with contextlib.suppress(OSError):
        root.rmdir()


def netns_since(since: float) -> list[Path]:
    """Pod network namespaces made since SINCE (only kubelet's CNI names them cni-*)."""
    root = Path(NETNS)
    return [p for p in root.glob("cni-*") if _newer(p, since)] if root.is_dir() else []


def clean(created: list[str], since: float) -> None:
    for path in netns_since(since):
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
        path.unlink(missing_ok=True)
    for name in ALL:
        path = Path(name)
        if name == SHIM_SOCKETS:
            if name in created:
                _prune_empty(path)
        elif name in created:
            _remove(path)
        elif name in LOGS and path.is_dir():
            for entry in path.iterdir():
                if _newer(entry, since):
                    _remove(entry)
        elif name == CNI_RESULTS and path.is_dir():
            for entry in path.glob(f"{NAME}-*"):
                _remove(entry)
        elif name == DEVICE_PLUGINS[-1] and _newer(path / "kubelet.sock", since):
            (path / "kubelet.sock").unlink(missing_ok=True)
