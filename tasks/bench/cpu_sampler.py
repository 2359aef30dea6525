"""Where the CPU went while something ran: the cores' busy time, and every process's CPU time from /proc, sampled
every few seconds and summed by program (`invoke bench --suite` runs the whole suite inside one).

A process is counted from its first sample to its last: what ran before the first is left out, and one that
started and ended between two samples is not seen at all (a kubectl call, most `docker` and `git` calls). So
the programs' sum ("seen") is less than the cores' busy time, which also holds the kernel's own work. Linux only.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

PROC = Path("/proc")
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
INTERPRETERS = ("python", "invoke", "pytest")


def busy_seconds(proc: Path = PROC) -> float:
    """CPU seconds the cores have spent busy since boot: all but idle and iowait."""
    values = [int(v) for v in (proc / "stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICKS


def label(argv: list[str], comm: str) -> str:
    """A program's name for the table: the command's name, and for a Python interpreter what it runs."""
    if comm.startswith(INTERPRETERS) and len(argv) > 1:
        if argv[1] == "-m" and len(argv) > 2:
            return f"python -m {argv[2]}"
        return f"python {Path(argv[1]).name}"
    return comm


class CpuSampler:
    """`with CpuSampler() as cpu: ...`, then `cpu.result()`."""

    def __init__(self, every: float = 2.0, proc: Path = PROC) -> None:
        self.every, self.proc = every, proc
        self.before: dict[tuple[int, str], float] = {}  # (pid, start time) -> CPU seconds at the first sample
        self.seen: dict[tuple[int, str], tuple[str, float]] = {}  # -> (program, CPU seconds at its last sample)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)

    def __enter__(self) -> CpuSampler:
        self.started, self.busy_at_start = time.monotonic(), busy_seconds(self.proc)
        self.before = {key: seconds for key, (_, seconds) in self._sample().items()}
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self._record(self._sample())
        self.seconds, self.busy = time.monotonic() - self.started, busy_seconds(self.proc) - self.busy_at_start

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            self._record(self._sample())

    def _record(self, sample: dict[tuple[int, str], tuple[str, float]]) -> None:
        for key, (program, seconds) in sample.items():
            name = self.seen.get(key, (program, 0.0))[0]  # named once: a process may exec another program
            self.seen[key] = (name, seconds - self.before.get(key, 0.0))

    def _sample(self) -> dict[tuple[int, str], tuple[str, float]]:
        found = {}
        for entry in self.proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                argv = [a.decode(errors="replace") for a in (entry / "cmdline").read_bytes().split(b"\0") if a]
            except OSError:  # it ended
                continue
            comm = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            key = (int(entry.name), fields[19])  # the start time tells a reused pid apart
            found[key] = (label(argv, comm), (int(fields[11]) + int(fields[12])) / TICKS)
        return found

    def result(self, top: int = 15) -> dict[str, Any]:
        """The window's length, the cores' busy CPU seconds, and the busiest programs' CPU seconds."""
        by_program: dict[str, float] = {}
        for program, seconds in self.seen.values():
            by_program[program] = by_program.get(program, 0.0) + seconds
        busiest = sorted(by_program.items(), key=lambda item: -item[1])[:top]
        return {
            "seconds": round(self.seconds, 1),
            "cores": os.cpu_count() or 1,
            "busy_cpu_seconds": round(self.busy, 1),
            "seen_cpu_seconds": round(sum(by_program.values()), 1),
            "busiest": [[program, round(seconds, 1)] for program, seconds in busiest],
        }
