"""The Celery application; its configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The heartbeat file the worker's exec probe reads (config/heartbeat.py; beat's scheduler is
# named in settings). Named, not imported: web never loads the worker step or celery.beat.
app.steps["worker"].add("config.heartbeat:HeartbeatFile")
