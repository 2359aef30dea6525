"""How the cluster commands talk: timed progress lines, and failures as one line with a non-zero exit."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from invoke.exceptions import Exit

Log = Callable[[str], None]


class ClusterError(Exit):
    """Anything that stops a cluster command: one line for the user, exit code 1, no traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=1)

    def __str__(self) -> str:  # invoke's Exit keeps the message out of args; tests want to see it
        return self.message or ""


class Progress:
    """Prints `[up  12.3s] what happened` lines, flushed at once so they show while work runs."""

    def __init__(self, command: str, out: Log | None = None) -> None:
        self.command = command
        self.started = time.monotonic()
        self._out = out

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def __call__(self, line: str) -> None:
        text = f"[{self.command} {self.elapsed():5.1f}s] {line}"
        if self._out is not None:
            self._out(text)
        else:
            print(text, file=sys.stdout, flush=True)


def quiet(line: str) -> None:
    """A Log that drops everything (library callers that only want the result)."""
