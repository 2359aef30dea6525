"""Run the project's commands the way a developer types them."""

from __future__ import annotations

import json
import subprocess
import sys

from tasks.paths import ROOT


def invoke(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def task_names() -> list[str]:
    """Every task `invoke --list` shows, in its order."""
    listing = invoke("--list", "--list-format", "json")
    assert listing.returncode == 0, listing.stderr
    root = json.loads(listing.stdout)
    names = [task["name"] for task in root["tasks"]]
    for collection in root["collections"]:
        names += [f"{collection['name']}.{task['name']}" for task in collection["tasks"]]
    return names
