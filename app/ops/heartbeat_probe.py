"""Exec probe for the Celery worker and beat: exit 0 while that process's heartbeat file is fresh.

    python /app/ops/heartbeat_probe.py worker|beat

Each process touches its file from the loop a hang would stop (ops/heartbeat.py). Standard
library only (the `ops` package's __init__ imports nothing either), so the probe never imports
Django or Celery, never talks to the broker, and answers in a few milliseconds.
"""

import os
import sys
import tempfile
import time
from pathlib import Path

ROLES = ("worker", "beat")
# Both loops touch their file at least this often while they run.
INTERVAL_SECONDS = 5.0
# A dozen missed touches: one slow pass is not a hang (Celery's own beat ping allows 60 s too).
MAX_AGE_SECONDS = float(os.environ.get("CELERY_HEARTBEAT_MAX_AGE", "60"))
# /tmp is the one writable path in the container; tests point each stack at its own directory.
HEARTBEAT_DIR = Path(os.environ.get("CELERY_HEARTBEAT_DIR", tempfile.gettempdir()))


def heartbeat_file(role: str) -> Path:
    """Where `role` (worker or beat) keeps its heartbeat: /tmp/celery-worker-heartbeat by default."""
    return HEARTBEAT_DIR / f"celery-{role}-heartbeat"


def check(
    role: str, path: Path | None = None, max_age: float = MAX_AGE_SECONDS, now: float | None = None
) -> str | None:
    """Return None when `role`'s heartbeat is fresh, else one line saying why not."""
    path = heartbeat_file(role) if path is None else path
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
        return f"no heartbeat file at {path}: the {role} has not started or has stopped"
    if age > max_age:
        return f"{role} heartbeat is {age:.0f}s old (limit {max_age:.0f}s): the {role} loop is stuck"
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ROLES:
        print(f"usage: heartbeat_probe.py {'|'.join(ROLES)}", file=sys.stderr)
        return 2
    problem = check(argv[0])
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
