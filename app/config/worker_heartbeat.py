"""A worker bootstep that touches a file every few seconds while the worker's loop runs.

The worker's exec probe (`python /app/worker_probe.py`) only reads this file's age: it answers
in milliseconds and never loads the broker, unlike `celery inspect ping`.
"""

from pathlib import Path

from celery import Celery, bootsteps
from worker_probe import HEARTBEAT_FILE

INTERVAL_SECONDS = 5.0


def touch(path: Path = HEARTBEAT_FILE) -> None:
    path.touch()


class HeartbeatFile(bootsteps.StartStopStep):
    # The worker's timer runs on its event loop, so a wedged loop stops the heartbeat.
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker) -> None:
        touch()
        self.tref = worker.timer.call_repeatedly(INTERVAL_SECONDS, touch, priority=10)

    def stop(self, worker) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
        HEARTBEAT_FILE.unlink(missing_ok=True)


def install(app: Celery) -> None:
    app.steps["worker"].add(HeartbeatFile)
