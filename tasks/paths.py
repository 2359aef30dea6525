"""Where things are: the repository's folders, and the command-line tools the tasks run."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"
STATE = ROOT / ".state"  # logs and pid files of services started here (git-ignored)


def tool(name: str) -> str:
    """Path of a command-line tool: the virtualenv's own first, then PATH."""
    beside_python = Path(sys.executable).parent / name
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} not found next to {sys.executable} or on PATH: pip install -r requirements/tools.txt"
        )
    return found
