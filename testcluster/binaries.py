"""The kube kit's binaries, unpacked once from its bin/*.xz into the cache (which `down` keeps).

Each binary is keyed by the size, mtime and sha256 of its .xz: an updated kube kit is unpacked again,
an unchanged one costs a stat. The kube kit's folder is only read.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tasks.cluster.layout import Layout
from tasks.cluster.progress import ClusterError, Log


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _current(xz: Path, target: Path, key: Path) -> tuple[bool, str]:
    """(is the unpacked binary current, the quick key of the .xz)."""
    info = xz.stat()
    quick = f"{info.st_size}:{info.st_mtime_ns}"
    if not (target.is_file() and os.access(target, os.X_OK) and key.is_file()):
        return False, quick
    old_quick, _, old_sum = key.read_text().strip().partition(" ")
    if old_quick == quick:
        return True, quick
    if old_sum == _sha256(xz):  # same content, touched file: remember the new quick key
        key.write_text(f"{quick} {old_sum}\n")
        return True, quick
    return False, quick


def _unpack(xz: Path, target: Path, key: Path, quick: str) -> None:
    tmp = target.with_name(f".{target.name}.tmp.{os.getpid()}")
    with tmp.open("wb") as out:
        result = subprocess.run(["xz", "-dc", str(xz)], stdout=out, stderr=subprocess.PIPE, check=False)
    if result.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ClusterError(f"cannot unpack {xz}: {result.stderr.decode().strip()}")
    tmp.chmod(0o755)
    os.replace(tmp, target)
    key.write_text(f"{quick} {_sha256(xz)}\n")


def ensure(layout: Layout, names: tuple[str, ...], log: Log) -> None:
    """Make layout.bin_dir/NAME current for each name, unpacking in parallel (one xz per core)."""
    layout.bin_dir.mkdir(parents=True, exist_ok=True)
    with open(layout.cache_dir / ".unpack.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two callers at once unpack once
        todo = []
        for name in names:
            xz = layout.kit_dir / "bin" / f"{name}.xz"
            if not xz.is_file():
                raise ClusterError(f"{xz} is missing: is SHIPYARD_KUBE_DIR the kube kit's folder?")
            target, key = layout.bin_dir / name, layout.bin_dir / f".{name}.key"
            fresh, quick = _current(xz, target, key)
            if not fresh:
                todo.append((xz, target, key, quick))
        if not todo:
            return
        log(f"unpacking {len(todo)} binaries from {layout.kit_dir / 'bin'} into {layout.bin_dir}")
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            for future in [pool.submit(_unpack, *job) for job in todo]:
                future.result()
