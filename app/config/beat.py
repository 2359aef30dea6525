"""Start Celery beat with its state in /tmp, clearing what a previous run left there.

A beat restarted in place (a dev-loop reload, a crash) must not trip over the last run's
schedule or pid file, and the root filesystem is read-only, so both live in /tmp.
"""

import sys
import tempfile
from pathlib import Path

from config.env import log_level
from ops.logs import log_format

SCHEDULE = Path(tempfile.gettempdir()) / "celerybeat-schedule"


def clear_stale_state(schedule: Path = SCHEDULE) -> list[Path]:
    """Remove the schedule database (any suffix shelve adds) and its pid file; return them."""
    removed = sorted(schedule.parent.glob(schedule.name + "*"))
    for path in removed:
        path.unlink()
    return removed


def main() -> None:
    for path in clear_stale_state():
        print(f"beat: removed stale {path}", flush=True)
    level = log_level()
    # No startup banner where logs are JSON (ops/logs.py): every line stays one object.
    quiet = ["--quiet"] if log_format() == "json" else []
    sys.argv = ["celery", "--app", "config", *quiet, "beat", "--loglevel", level, "--schedule", str(SCHEDULE)]
    # In this process, not exec'd: under the dev loop's devtools/devworker.py a fresh interpreter would
    # lose the warm imports and the file watcher.
    from celery.__main__ import main as celery

    celery()


if __name__ == "__main__":
    main()
