"""`invoke bench --suite`: run the whole test suite with `pytest --timings` and write where its time went.

The figures come from tests/support/timings.py: per part of the suite (by what its tests need), per wide
fixture (the cluster, the image builds, the services) and per file, with the share spent in time.sleep.
Writes <out>/suite-<timestamp>/{timings.json,timings.md}; the table names the commit and the command.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

from tasks.checks import pytest_run
from tasks.paths import ROOT

COMMAND = "invoke bench --suite"
TOP_FILES = 25


def _commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return (head.stdout.strip() or "unknown") + (" with uncommitted changes" if dirty.strip() else "")


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def table(data: dict[str, Any], commit: str, command: str = COMMAND, when: str = "") -> str:
    """The timings as Markdown: by part, the wide fixtures, the slowest files."""
    parts, files, fixtures = data["parts"], data["files"], data["fixtures"]
    tests = sum(part["tests"] for part in parts.values())
    lines = [
        f"{when or datetime.now().strftime('%Y-%m-%d')}, commit {commit}, `{command}`: {tests} tests, "
        f"{data['wall_seconds']:.0f} s of pytest from start to end.",
        "",
        _row("part", "tests", "seconds", "of which in time.sleep"),
        _row("---", "---", "---", "---"),
    ]
    for name, part in sorted(parts.items(), key=lambda item: -item[1]["seconds"]):
        lines.append(_row(name, part["tests"], f"{part['seconds']:.0f}", f"{part['slept']:.0f}"))
    wide = sorted(((n, f) for n, f in fixtures.items() if f["seconds"] >= 1), key=lambda item: -item[1]["seconds"])
    lines += [
        "",
        _row("wide fixture (set up once)", "seconds", "of which in time.sleep", "first needed by"),
        _row("---", "---", "---", "---"),
    ]
    for name, fixture in wide:
        first = fixture["first_needed_by"].split("::", 1)[0]
        lines.append(_row(f"`{name}`", f"{fixture['seconds']:.0f}", f"{fixture['slept']:.0f}", f"`{first}`"))
    lines += [
        "",
        _row("file (slowest first)", "part", "tests", "seconds", "of which in time.sleep"),
        _row("---", "---", "---", "---", "---"),
    ]
    for name, entry in sorted(files.items(), key=lambda item: -item[1]["seconds"])[:TOP_FILES]:
        lines.append(
            _row(f"`{name}`", entry["part"], entry["tests"], f"{entry['seconds']:.0f}", f"{entry['slept']:.0f}")
        )
    return "\n".join(lines) + "\n"


def run(out: Path) -> tuple[int, Path]:
    """Run the suite as `invoke test` does, with --timings, into OUT/suite-<timestamp>/; pytest's exit code and
    the folder."""
    target = out / f"suite-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    target.mkdir(parents=True)
    commit = _commit()
    argv = [*pytest_run.pytest_argv("", unit=False), "--timings", str(target / "timings.json")]
    print(f"bench --suite: {' '.join(argv[1:])}", flush=True)
    code = pytest_run.run(argv)  # as `invoke test` runs it
    timings = target / "timings.json"
    if timings.is_file():
        (target / "timings.md").write_text(table(json.loads(timings.read_text()), commit))
    return code, target
