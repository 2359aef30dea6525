"""Exec probe for the Celery worker: exit 0 while its heartbeat file is fresh.

Standard library only and outside the `config` package, so the probe never imports Django
or Celery and answers in a few milliseconds.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

HEARTBEAT_FILE = Path(os.environ.get("CELERY_HEARTBEAT_FILE", Path(tempfile.gettempdir()) / "celery-worker-heartbeat"))
MAX_AGE_SECONDS = float(os.environ.get("CELERY_HEARTBEAT_MAX_AGE", "60"))


def check(path: Path = HEARTBEAT_FILE, max_age: float = MAX_AGE_SECONDS, now: float | None = None) -> str | None:
    """Return None when healthy, else why not."""
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return f"no heartbeat file at {path}: the worker has not started or has stopped"
    if age > max_age:
        return f"heartbeat is {age:.0f}s old (limit {max_age:.0f}s): the worker loop is stuck"
    return None


if __name__ == "__main__":
    problem = check()
    if problem:
        print(problem, file=sys.stderr)
        sys.exit(1)
