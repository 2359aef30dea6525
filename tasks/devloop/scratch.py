"""A scratch copy of the project for a dev loop that edits files: the tests' and the bench's.

skaffold and Tilt watch the folder they run in, so edits made to measure or test them go to a
copy of the tracked files (as they are in the working tree), never to the checkout itself.
`../shared` is linked beside the copy so paths that name it (the kube kit) resolve as here.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tasks.paths import ROOT


def scratch_copy(parent: Path, venv: bool = True) -> Path:
    """The tracked files of this checkout in parent/main, committed in a git repository of its own; with VENV,
    .venv links to this checkout's (without, the copy is a fresh clone that makes its own)."""
    copy = parent / "main"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    # A clone has history: skaffold tags images by commit (a dirty tree adds a suffix).
    git = ["git", "-c", "user.name=scratch", "-c", "user.email=scratch@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=copy, check=True)
    subprocess.run([*git, "add", "-A"], cwd=copy, check=True)
    subprocess.run([*git, "commit", "-qm", "scratch copy"], cwd=copy, check=True)
    if venv:
        (copy / ".venv").symlink_to(ROOT / ".venv")  # Tilt's unit-tests resource runs .venv/bin/invoke
    shared = ROOT.parent / "shared"
    if shared.exists():
        (parent / "shared").symlink_to(shared)
    return copy
