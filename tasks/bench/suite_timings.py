"""`invoke bench --suite`: time the fast tests, run the whole test suite with `pytest --timings`, and write where
its time went.

The fast tests (`invoke test --unit`) are timed from the command to their last line, FAST_RUNS times in a
row: the first run also records which test files hold no fast test (tests/support/fast_files.py).

The figures come from tests/support/timings.py: per part of the suite (by what its tests need), per wide
fixture (the cluster, the image builds, the services) and per file, with the share spent in time.sleep. Where the
CPU went while pytest ran comes from tasks/bench/cpu_sampler.py: the cores' busy share and the busiest programs.
Writes <out>/suite-<timestamp>/{timings.json,timings.md}; the table names the commit and the command.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from tasks.bench.cpu_sampler import CpuSampler
from tasks.checks import pytest_run
from tasks.paths import ROOT

COMMAND = "invoke bench --suite"
TOP_FILES = 25
FAST_RUNS = 3
INVOKE = Path(sys.executable).with_name("invoke")


def _commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True).stdout
    return (head.stdout.strip() or "unknown") + (" with uncommitted changes" if dirty.strip() else "")


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def fast_walls(runs: int = FAST_RUNS) -> tuple[int, list[float]]:
    """`invoke test --unit` RUNS times in a row: the exit code of the first that failed (else 0), and each run's
    seconds from the command to its last line."""
    walls = []
    for _ in range(runs):
        started = time.monotonic()
        ran = subprocess.run([str(INVOKE), "test", "--unit"], cwd=ROOT, capture_output=True, text=True, timeout=600)
        walls.append(time.monotonic() - started)
        if ran.returncode:
            print(ran.stdout[-3000:] + ran.stderr[-3000:], flush=True)
            return ran.returncode, walls
    return 0, walls


def table(data: dict[str, Any], commit: str, command: str = COMMAND, when: str = "") -> str:
    """The timings as Markdown: the fast tests' runs, then the whole suite by part, wide fixture, lane, worker and
    slowest file."""
    parts, files, fixtures = data["parts"], data["files"], data["fixtures"]
    tests = sum(part["tests"] for part in parts.values())
    fast = data.get("fast_walls")
    lines = [
        f"{when or datetime.now().strftime('%Y-%m-%d')}, commit {commit}, `{command}`: {tests} tests, "
        f"{data['wall_seconds']:.0f} s of pytest from start to end.",
        *(
            ["", f"`invoke test --unit`, from the command to its last line: {', '.join(f'{s:.1f} s' for s in fast)}."]
            if fast
            else []
        ),
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
    lines += _lanes_and_workers(data.get("lanes", {}), data.get("workers", {}))
    lines += _cpu(data.get("cpu"))
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


def _lanes_and_workers(lanes: dict[str, Any], workers: dict[str, Any]) -> list[str]:
    """Per lane and per worker: their tests' seconds, fixtures included; when each worker's last test ended."""
    lines = [
        "",
        _row("lane (tests/support/lanes.py)", "tests", "seconds, fixtures included"),
        _row("---", "---", "---"),
    ]
    for name, lane in sorted(lanes.items(), key=lambda item: -item[1]["seconds"]):
        lines.append(_row(name, lane["tests"], f"{lane['seconds']:.0f}"))
    lines += ["", _row("worker", "tests", "seconds busy", "its last test ended (s)"), _row("---", "---", "---", "---")]
    for name, worker in sorted(workers.items()):
        lines.append(_row(name, worker["tests"], f"{worker['seconds']:.0f}", f"{worker['last_ended']:.0f}"))
    return lines if lanes else []


def _cpu(cpu: dict[str, Any] | None) -> list[str]:
    """The cores' busy share over the run, then the busiest programs' CPU seconds."""
    if not cpu:
        return []
    share = cpu["busy_cpu_seconds"] / (cpu["seconds"] * cpu["cores"]) if cpu["seconds"] else 0.0
    return [
        "",
        f"CPU while pytest ran: {cpu['busy_cpu_seconds']:.0f} CPU seconds busy over {cpu['seconds']:.0f} s, "
        f"{share:.0%} of {cpu['cores']} cores; {cpu['seen_cpu_seconds']:.0f} of them in processes a sample saw "
        "(tasks/bench/cpu_sampler.py: not the shortest processes, nor the kernel's own work).",
        "",
        _row("program", "CPU seconds"),
        _row("---", "---"),
        *(_row(f"`{program}`", f"{seconds:.0f}") for program, seconds in cpu["busiest"]),
    ]


def run(out: Path) -> tuple[int, Path]:
    """Run the suite as `invoke test` does, with --timings, into OUT/suite-<timestamp>/; pytest's exit code and
    the folder."""
    target = out / f"suite-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    target.mkdir(parents=True)
    commit = _commit()
    print(f"bench --suite: invoke test --unit, {FAST_RUNS} times", flush=True)
    code, fast = fast_walls()
    print(f"bench --suite: invoke test --unit took {', '.join(f'{s:.1f} s' for s in fast)}", flush=True)
    argv = [*pytest_run.pytest_argv("", unit=False), "--timings", str(target / "timings.json")]
    print(f"bench --suite: {' '.join(argv[1:])}", flush=True)
    with CpuSampler() as cpu:
        code = pytest_run.run(argv) or code  # as `invoke test` runs it
    timings = target / "timings.json"
    if timings.is_file():
        data = {**json.loads(timings.read_text()), "fast_walls": fast, "cpu": cpu.result()}
        timings.write_text(json.dumps(data, indent=1))
        (target / "timings.md").write_text(table(data, commit))
    return code, target
