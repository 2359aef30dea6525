"""`invoke lock`: requirements/*.txt from the *.in files, with uv (pinned in requirements/tools.txt).

The three locks are compiled in one temporary copy of requirements/, in order, each constrained by the one
before (app, then dev on app's pins, then tools on dev's), so a package has one version in all three.
uv keeps every pin it can from the current locks; only `upgrade` names are moved to their newest
release. Nothing in requirements/ changes until all three resolved.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from invoke.exceptions import Exit

from tasks.paths import ROOT, tool

REQUIREMENTS = ROOT / "requirements"
PYTHON_VERSION = "3.11"  # the images' CPython (Dockerfile), whatever runs the lock
# Each lock, and the lock whose pins constrain it.
ORDER = (("app", None), ("dev", "app"), ("tools", "dev"))
HEADER_COMMAND = "invoke lock"


@dataclass(frozen=True)
class Changed:
    lock: str  # requirements/NAME.txt
    added: list[str]
    removed: list[str]


def pins(text: str) -> dict[str, str]:
    """name -> version of each `name==version` line of a lock."""
    found = {}
    for line in text.splitlines():
        if "==" in line and not line.lstrip().startswith("#"):
            name, version = line.split("==", 1)
            found[name.strip().lower()] = version.split()[0]
    return found


def _reason(output: str) -> str:
    """uv's error and its first cause, on one line (uv prints `error: ...` then `  cause: ...` lines)."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    error = next((line.removeprefix("error:").strip() for line in lines if line.startswith("error:")), "")
    cause = next((line.removeprefix("cause:").strip() for line in lines if line.startswith("cause:")), "")
    reason = ": ".join(filter(None, (error, cause.rstrip("."))))
    return reason or (lines[-1] if lines else "uv failed without a message")


def _compile(uv: str, work: Path, name: str, constraint: str | None, upgrade: list[str], upgrade_all: bool) -> None:
    argv = [
        uv,
        "pip",
        "compile",
        "--quiet",
        "--python-version",
        PYTHON_VERSION,
        "--custom-compile-command",
        HEADER_COMMAND,
        f"requirements/{name}.in",
        "-o",
        f"requirements/{name}.txt",
    ]
    if constraint:
        argv += ["--constraint", f"requirements/{constraint}.txt"]
    argv += ["--upgrade"] if upgrade_all else [f"--upgrade-package={package}" for package in upgrade]
    try:
        # COLUMNS: uv wraps its messages at the terminal's width, 80 without one; the reason must stay one line.
        environ = {**os.environ, "COLUMNS": "10000"}
        ran = subprocess.run(argv, cwd=work, env=environ, capture_output=True, text=True, timeout=600, check=False)
    except subprocess.TimeoutExpired:
        raise Exit(f"lock: uv took over 600 s on requirements/{name}.in (is the package index reachable?)", 1) from None
    if ran.returncode != 0:
        after = f" (with the new requirements/{constraint}.txt)" if constraint else ""
        raise Exit(
            f"lock: requirements/{name}.in{after} does not resolve: {_reason(ran.stderr or ran.stdout)}; "
            "fix it and run `invoke lock` again (no lock was changed)",
            code=1,
        )


def lock(upgrade: list[str] | None = None, upgrade_all: bool = False) -> list[Changed]:
    """Re-lock every requirements/*.txt; what changed in each (only the locks whose pins moved)."""
    try:
        uv = tool("uv")
    except FileNotFoundError:
        raise Exit("lock: uv is not installed: run ./bin/setup (requirements/tools.txt pins it)", code=1) from None
    with tempfile.TemporaryDirectory(prefix="shipyard-lock-") as tmp:
        work = Path(tmp)
        shutil.copytree(REQUIREMENTS, work / "requirements")  # the current locks: the pins uv keeps
        for name, constraint in ORDER:
            _compile(uv, work, name, constraint, list(upgrade or []), upgrade_all)
        changed, staged = [], []
        for name, _constraint in ORDER:
            new, current = work / "requirements" / f"{name}.txt", REQUIREMENTS / f"{name}.txt"
            before, after = pins(current.read_text()) if current.exists() else {}, pins(new.read_text())
            staged.append((current.with_name(f".{name}.txt.partial"), current))
            shutil.copyfile(new, staged[-1][0])
            if before != after:
                changed.append(
                    Changed(
                        f"requirements/{name}.txt",
                        [f"{p}=={v}" for p, v in sorted(after.items()) if before.get(p) != v],
                        [f"{p}=={v}" for p, v in sorted(before.items()) if after.get(p) != v],
                    )
                )
        # Each lock whole or not at all, and all three at once: a watching loop sees one change, not two rebuilds.
        for partial, current in staged:
            partial.replace(current)
    return changed
