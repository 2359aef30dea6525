"""Logging for web, worker and beat: one JSON object per line on stdout, or readable text.

LOG_FORMAT=json (the default, what a log pipeline parses) or text (the dev overlay's). JSON
lines carry time, level, logger, message and request_id, plus a request's method, path,
status and duration_ms (ops/request_id.py). python-json-logger does the formatting.
"""

import sys

from config.env import env

FORMATS = ("json", "text")


def log_format() -> str:
    value = env.str("LOG_FORMAT", default="json").strip().lower()
    if value not in FORMATS:
        fix = "set LOG_FORMAT=json or text"
        sys.stderr.write(f"ImproperlyConfigured: LOG_FORMAT={value!r} is not a log format; {fix}\n")
        raise SystemExit(1)
    return value


def logging_config(fmt: str, level: str) -> dict:
    """A dictConfig for Django's LOGGING, Celery's setup_logging and gunicorn's logconfig_dict."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "ops.request_id.RequestIdFilter"}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",
            },
            "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": fmt,
                "filters": ["request_id"],
            },
        },
        "root": {"handlers": ["stdout"], "level": level},
        # gunicorn's own lines go through the root's handler. Its access log is dropped: with a
        # logconfig_dict gunicorn writes it whatever `accesslog` says, and the request line,
        # with its id, comes from ops/request_id.py.
        "loggers": {
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": False},
        },
    }
