"""Heartbeat files for the exec probes of the worker and beat (`python /app/ops/heartbeat_probe.py worker|beat`).

Each process touches its file from the loop whose hang the probe must catch: the worker from its
event loop's timer, beat on every pass of its scheduler loop. The probe only reads the file's age,
so it answers in milliseconds and never loads the broker, unlike `celery inspect ping`.
"""

from pathlib import Path

from celery import bootsteps
from celery.beat import PersistentScheduler

from ops import task_metrics
from ops.heartbeat_probe import INTERVAL_SECONDS, heartbeat_file

WORKER_FILE = heartbeat_file("worker")
BEAT_FILE = heartbeat_file("beat")


def touch(path: Path = WORKER_FILE) -> None:
    path.touch()


class HeartbeatFile(bootsteps.StartStopStep):
    """Touches the worker's file every few seconds; added to the worker's steps in config/celery.py."""

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
        WORKER_FILE.unlink(missing_ok=True)


class HeartbeatScheduler(PersistentScheduler):
    """Beat's default scheduler, touching beat's file on every pass of its loop (CELERY_BEAT_SCHEDULER)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Beat sleeps up to max_interval between passes (300 s by default, or until the next
        # task is due): capped, an idle beat still touches its file every few seconds.
        self.max_interval = min(self.max_interval, INTERVAL_SECONDS)

    def tick(self, *args, **kwargs) -> float:
        # beat.Service.start calls tick() once per pass of its loop, whether a task is due or not.
        touch(BEAT_FILE)
        task_metrics.beat_ticked()
        return super().tick(*args, **kwargs)

    def close(self) -> None:
        super().close()
        BEAT_FILE.unlink(missing_ok=True)
