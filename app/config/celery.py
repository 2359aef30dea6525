"""The Celery application; its configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Imported for its side effect: the heartbeat step the worker's exec probe reads.
from config import worker_heartbeat  # noqa: E402

worker_heartbeat.install(app)
