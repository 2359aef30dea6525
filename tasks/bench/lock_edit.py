"""A new dependency through the loop, as a developer adds one: code that uses it, its line in app.in, then
`invoke lock`; timed from `invoke lock` typed until web answers from an image with the package in it.

The view's edit reports the installed version of PACKAGE. Each edit pins the other of two releases, so only
a pod of the rebuilt image can answer with the new one: the old pod, which gets the view by sync at once,
has the other version (or none, and fails the import) until the tool has rebuilt and rolled the pods.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tasks.bench.reload import VIEW_ANCHOR, VIEW_FILE
from tasks.bench.testbed import BenchError
from tasks.containers.filesync import edited

PACKAGE = "humanize"  # pure Python, no dependencies, one small wheel
RELEASES = ("4.11.0", "4.12.0")
ROLLOUT_TIMEOUT = 900  # a rebuild of the dependency layers, a push and a rollout, on a cold cache


def next_release(current: str | None) -> str:
    return RELEASES[1] if current == RELEASES[0] else RELEASES[0]


def view_reporting_the_version() -> dict[str, bytes]:
    report = f'JsonResponse({{"edit": __import__("importlib.metadata").metadata.version("{PACKAGE}"), "jobs": '
    return {f"app/{VIEW_FILE}": edited(VIEW_FILE, VIEW_ANCHOR, report)}


def pinned_in(app_in: str, release: str) -> str:
    """APP_IN with PACKAGE pinned to RELEASE (its line replaced, or added)."""
    kept = [line for line in app_in.splitlines() if not re.match(rf"{PACKAGE}\s*[=<>!~]", line, re.IGNORECASE)]
    return "\n".join([*kept, f"{PACKAGE}=={release}"]) + "\n"


def lock_to_served(copy: Path, served: Callable[[], Any], release: str, log: Callable[[str], None]) -> float:
    """In the loop's checkout COPY: the view, PACKAGE==RELEASE in app.in, `invoke lock`; the seconds from the lock
    typed until SERVED() (web's "edit") is RELEASE."""
    for name, content in view_reporting_the_version().items():
        (copy / name).write_bytes(content)
    app_in = copy / "requirements" / "app.in"
    app_in.write_text(pinned_in(app_in.read_text(), release))
    typed = time.monotonic()
    locked = subprocess.run(
        [str(copy / ".venv" / "bin" / "invoke"), "lock"], cwd=copy, capture_output=True, text=True, timeout=600
    )
    if locked.returncode != 0:
        raise BenchError(f"invoke lock failed: {locked.stderr.strip() or locked.stdout.strip()}")
    log(f"  invoke lock: {locked.stdout.strip().splitlines()[0]} ({time.monotonic() - typed:.1f}s)")
    deadline = typed + ROLLOUT_TIMEOUT
    while served() != release:
        if time.monotonic() > deadline:
            raise BenchError(f"{PACKAGE}=={release} was not served {ROLLOUT_TIMEOUT}s after invoke lock")
        time.sleep(0.2)
    return time.monotonic() - typed
