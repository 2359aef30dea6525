"""gunicorn settings for the prod image: `gunicorn config.wsgi --config python:config.gunicorn`."""

import os

from config import metrics
from config.logs import log_format, logging_config

bind = "0.0.0.0:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Load Django in the master: a missing setting stops start-up once, with one line, and
# workers fork with the app already imported (faster boots, shared memory).
preload_app = True
# Must stay below the pod's terminationGracePeriodSeconds minus the preStop pause.
graceful_timeout = 20
timeout = 30
# TLS ends at the Ingress; trust its X-Forwarded-* headers.
forwarded_allow_ips = "*"
# gunicorn's own lines in the app's format; no access log: config/request_id.py logs each
# request with its id and duration instead.
accesslog = None
errorlog = "-"
logconfig_dict = logging_config(log_format(), os.environ.get("LOG_LEVEL", "INFO"))

# Metrics (config/metrics.py): the workers record, the master serves their sum on METRICS_PORT, so a
# scrape answers even while every worker is busy. Checked and cleared here, before the app loads.
metrics.port()
metrics.clear_multiprocess_dir()


def when_ready(_server) -> None:
    metrics.serve()


def child_exit(_server, worker) -> None:
    metrics.mark_dead(worker.pid)
