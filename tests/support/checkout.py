"""A partial copy of the repository for a test that breaks something in it: tasks/ and what tasks/ reads."""

from __future__ import annotations

import shutil
from pathlib import Path

from tasks.paths import ROOT

# tasks/ reads the app's ports from their one definition (tasks/ports.py).
TASKS_READ = (Path("app") / "config" / "ports.py",)


def tasks_checkout(into: Path, *folders: str) -> Path:
    """tasks/, FOLDERS and the files tasks/ reads, copied into INTO (bytecode left behind)."""
    for folder in ("tasks", *folders):
        shutil.copytree(ROOT / folder, into / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for path in TASKS_READ:
        (into / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / path, into / path)
    return into
