"""The Celery application; its configuration lives in Django settings under CELERY_*."""

import logging.config
import os

from celery import Celery
from celery.signals import (
    beat_init,
    before_task_publish,
    setup_logging,
    task_postrun,
    task_prerun,
    worker_init,
    worker_ready,
)

from ops import request_id, task_metrics

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The heartbeat file the worker's exec probe reads (ops/heartbeat.py; beat's scheduler is
# named in settings). Named, not imported: web never loads the worker step or celery.beat.
app.steps["worker"].add("ops.heartbeat:HeartbeatFile")


@setup_logging.connect
def use_django_logging(**_kwargs) -> None:
    """With a receiver here, Celery configures no logging of its own: worker and beat log as web
    does (ops/logs.py)."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
    logging.captureWarnings(True)  # a library's warning is a log line too, not raw stderr


# The request id travels in the task message's headers (ops/request_id.py).
before_task_publish.connect(request_id.add_to_task_headers, weak=False)
task_prerun.connect(request_id.set_from_task, weak=False)

# Metrics (ops/task_metrics.py): tasks counted in the pool; the worker and beat serve on METRICS_PORT.
task_prerun.connect(task_metrics.task_started, weak=False)
task_postrun.connect(task_metrics.task_finished, weak=False)
worker_init.connect(task_metrics.worker_starting, weak=False)
worker_ready.connect(task_metrics.worker_ready, weak=False)
beat_init.connect(task_metrics.beat_starting, weak=False)
