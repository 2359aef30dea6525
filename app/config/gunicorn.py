"""gunicorn settings for the prod image: `gunicorn config.wsgi --config python:config.gunicorn`."""

import os

from config import ports
from config.env import log_level, metrics_port
from ops import metrics
from ops.logs import log_format, logging_config

bind = f"0.0.0.0:{ports.WEB}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Load Django in the master: a missing setting stops start-up once, with one line, and
# workers fork with the app already imported (faster boots, shared memory).
preload_app = True
# Must stay below the pod's terminationGracePeriodSeconds minus the preStop pause.
graceful_timeout = 20
timeout = 30
# TLS ends at the Ingress; trust its X-Forwarded-* headers.
forwarded_allow_ips = "*"
# gunicorn's own lines in the app's format; no access log: ops/request_id.py logs each
# request with its id and duration instead.
accesslog = None
errorlog = "-"
logconfig_dict = logging_config(log_format(), log_level())

# Metrics (ops/metrics.py): the workers record, the master serves their sum on METRICS_PORT, so a
# scrape answers even while every worker is busy. Checked and cleared here, before the app loads.
metrics_port()
metrics.clear_multiprocess_dir()


def when_ready(_server) -> None:
    metrics.serve()


def child_exit(_server, worker) -> None:
    metrics.mark_dead(worker.pid)
