"""Run `invoke cluster.*` as a developer types it, from the repository root."""

from __future__ import annotations

import subprocess
import sys

from tasks.paths import ROOT


def cluster_task(name: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`invoke cluster.NAME ARGS` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", f"cluster.{name}", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
