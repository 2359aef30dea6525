"""flock with a patience: the one waiting loop for the machine-wide locks (the test cluster's up/down, the test
run's shared cluster files)."""

from __future__ import annotations

import fcntl
import time
from typing import IO


def acquire(file: IO, mode: int, seconds: float) -> bool:
    """Take FILE's flock in MODE (fcntl.LOCK_SH or LOCK_EX), waiting up to SECONDS; False if it stayed taken."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(file, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)
