"""gunicorn settings for the prod image: `gunicorn config.wsgi --config python:config.gunicorn`."""

import os

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
