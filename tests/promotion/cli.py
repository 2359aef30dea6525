"""Run `invoke promote` as a developer would, and look at the tree it may have changed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tasks.paths import ROOT


def promote(root: Path, *args: str) -> subprocess.CompletedProcess:
    """`invoke promote ...` through the real command line, on the overlays under root."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", "promote", *args, "--root", str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root, byte for byte: a refused promotion must leave this unchanged."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def kustomization(root: Path, overlay: str) -> Path:
    return root / "overlays" / overlay / "kustomization.yaml"
