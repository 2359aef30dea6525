"""Copy edited files into a running container the way skaffold and Tilt do: a tar stream
piped into `tar -x` inside the container, as the container's own (non-root) user.

The container tests (tests/containers/) and the benchmark (tasks/bench/reload.py) share it.
"""

from __future__ import annotations

import io
import tarfile
import time
from typing import Protocol

from tasks.paths import APP

# skaffold: `kubectl exec ... -- tar xmf - -C / --no-same-owner`; Tilt: `tar -C / -x -f -`.
SKAFFOLD_UNTAR = ("tar", "xmf", "-", "-C", "/", "--no-same-owner")
TILT_UNTAR = ("tar", "-C", "/", "-x", "-f", "-")


class Execs(Protocol):
    """What sync needs of a running pod (tasks/podrun.RunningPod has it)."""

    def exec(self, *argv: str, container: str | None = None, input: bytes | None = None): ...


class SyncError(RuntimeError):
    """`tar -x` in the container failed; str() carries its stderr."""


def edited(relative: str, old: str, new: str) -> bytes:
    """app/<relative> with `old` replaced by `new` (which must occur exactly once)."""
    source = (APP / relative).read_text()
    if source.count(old) != 1:
        raise ValueError(f"{old!r} must occur once in app/{relative} (found {source.count(old)})")
    return source.replace(old, new).encode()


def tar_of(files: dict[str, bytes]) -> bytes:
    """A tar stream with container paths relative to / (app/x.py lands at /app/x.py)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for path, content in files.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mtime, info.mode = len(content), int(time.time()), 0o644
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def sync(
    running: Execs, files: dict[str, bytes], untar: tuple[str, ...] = SKAFFOLD_UNTAR, container: str | None = None
) -> None:
    """Send `files` (container path -> content) into the running container; SyncError if tar fails."""
    result = running.exec(*untar, container=container, input=tar_of(files))
    if result.returncode != 0:
        raise SyncError(f"sync failed: {result.stderr.decode(errors='replace').strip()}")
