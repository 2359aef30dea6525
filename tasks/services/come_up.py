"""Waiting for a service this machine just started to answer: the one loop PostgreSQL, Redis and dockerd share."""

from __future__ import annotations

import time
from collections.abc import Callable

from invoke.exceptions import Exit


def wait_up(
    what: str, ready: Callable[[], bool], seconds: float, see: str, failed: Callable[[], str | None] | None = None
) -> None:
    """Poll READY until it holds; Exit naming WHAT and where to look (SEE) after SECONDS, or at once with the line
    FAILED returns once the service can no longer come up (its process exited)."""
    deadline = time.monotonic() + seconds
    while not ready():
        if failed is not None and (why := failed()):
            raise Exit(why, code=1)
        if time.monotonic() > deadline:
            raise Exit(f"{what} did not come up within {seconds:.0f}s: see {see}", code=1)
        time.sleep(0.2)
