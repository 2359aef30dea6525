"""The phases of one `./bin/up`, timed from the moment bin/up started, for its last line and the bench.

bin/up times its own phase (packages: system packages and the .venv) and hands over its start time in
SHIPYARD_UP_STARTED_NS and that phase in SHIPYARD_UP_PACKAGES_NS; `invoke up` times the rest.
"""

from __future__ import annotations

import os
import re
import time

ORDER = ("packages", "engine", "base", "cluster", "build", "deploy", "served")
# The last line of a served `invoke up`, which tests/quickstart and the bench read back.
SERVED = re.compile(r"^up: served (\S+) (\d+\.\d)s after the command: (.*)$", re.M)


class Phases:
    """Named durations in seconds, in ORDER; a phase never reached stays None (printed as "-")."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        now = time.time()
        started = environ.get("SHIPYARD_UP_STARTED_NS", "")
        self.started = int(started) / 1e9 if started.isdigit() else now
        self.seconds: dict[str, float | None] = dict.fromkeys(ORDER)
        packages = environ.get("SHIPYARD_UP_PACKAGES_NS", "")
        if packages.isdigit():
            self.seconds["packages"] = int(packages) / 1e9
        self._mark = now

    def done(self, phase: str, at: float | None = None) -> float:
        """End PHASE now (or at the wall-clock time AT): its time since the previous phase ended."""
        if phase not in self.seconds:
            raise ValueError(f"unknown phase {phase!r}: one of {', '.join(ORDER)}")
        at = time.time() if at is None else at
        took = max(0.0, at - self._mark)
        self.seconds[phase] = took
        self._mark = at
        return took

    def total(self) -> float:
        return self._mark - self.started

    def line(self) -> str:
        return ", ".join(f"{name} {'-' if took is None else f'{took:.1f}s'}" for name, took in self.seconds.items())


def parse(output: str) -> tuple[str, float, dict[str, float | None]] | None:
    """(URL, total seconds, phase -> seconds) from a served `invoke up`'s output; None if it never said so."""
    match = SERVED.search(output)
    if match is None:
        return None
    phases: dict[str, float | None] = {}
    for part in match[3].split(", "):
        name, _, took = part.partition(" ")
        phases[name] = None if took == "-" else float(took.rstrip("s"))
    return match[1], float(match[2]), phases
