"""Celery's side of the metrics (ops/metrics.py): tasks counted and timed in the worker's pool
processes, each queue's depth read from the broker when beat is scraped, and the servers the
worker and beat expose them on."""

import functools
import logging
import time

from prometheus_client import Gauge
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from config.env import metrics_port
from ops import metrics

log = logging.getLogger(__name__)
_started: dict[str, float] = {}  # task id -> when it started, in the pool process running it


def task_started(task_id=None, **_kwargs) -> None:
    """task_prerun, in the pool process."""
    _started[task_id] = time.perf_counter()


def task_finished(task_id=None, task=None, state=None, **_kwargs) -> None:
    """task_postrun, in the pool process: SUCCESS, FAILURE, RETRY... become the outcome label."""
    started = _started.pop(task_id, None)
    name = getattr(task, "name", None) or "unknown"
    metrics.TASKS.labels(name, (state or "unknown").lower()).inc()
    if started is not None:
        metrics.TASK_SECONDS.labels(name).observe(time.perf_counter() - started)


@functools.cache
def _beat_last_tick() -> Gauge:
    # Made at beat's first tick, so only beat exports it (the worker imports this module too).
    return Gauge(
        "shipyard_beat_last_tick_timestamp_seconds",
        "When beat's scheduler last ran a pass (Unix time).",
        multiprocess_mode="max",
    )


def beat_ticked() -> None:
    """Every pass of beat's scheduler loop (ops/heartbeat.py)."""
    _beat_last_tick().set_to_current_time()


class QueueDepth(Collector):
    """Messages waiting in each of the app's queues, asked of the broker at every scrape.

    Beat serves it: it runs exactly once and stays up while workers stop, which is when a queue
    grows. A broker that does not answer gives shipyard_celery_broker_up 0 and no depth.
    """

    def __init__(self, app, timeout: float = 2.0):
        self.app, self.timeout = app, timeout

    def collect(self):
        up = GaugeMetricFamily("shipyard_celery_broker_up", "1 when beat's last look at the queues reached the broker.")
        depth = GaugeMetricFamily(
            "shipyard_celery_queue_length", "Messages waiting in a Celery queue (none taken yet).", labels=["queue"]
        )
        try:
            depth_by_queue = self.read()
        except Exception as error:  # any broker error: the scrape still answers
            log.warning("queue depth: the broker did not answer: %s", error)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for queue, count in depth_by_queue.items():
            depth.add_metric([queue], count)
        yield up
        yield depth

    def read(self) -> dict[str, int]:
        timeouts = {"socket_timeout": self.timeout, "socket_connect_timeout": self.timeout}
        with self.app.connection_for_read(connect_timeout=self.timeout, transport_options=timeouts) as conn:
            conn.ensure_connection(max_retries=1)
            channel, counts = conn.default_channel, {}
            for name in self.app.amqp.queues:
                try:
                    counts[name] = channel.queue_declare(queue=name, passive=True).message_count
                except conn.channel_errors:  # Redis has no queue until a message is in it
                    counts[name] = 0
            return counts


def worker_starting(**_kwargs) -> None:
    """worker_init, in the worker's main process before its pool starts."""
    metrics_port()  # a bad METRICS_PORT stops the worker now, not once it is up
    metrics.clear_multiprocess_dir()


def worker_ready(**_kwargs) -> None:
    """worker_ready, in the main process: serves the sum of the pool processes' values."""
    metrics.serve()


def beat_starting(sender=None, **_kwargs) -> None:
    """beat_init: beat serves its last tick and every queue's depth."""
    metrics.clear_multiprocess_dir()
    metrics.serve(QueueDepth(sender.app))
