"""Read settings from the environment; in production, a missing one stops start-up in one line.

Variables read outside settings.py too (LOG_LEVEL by gunicorn.py and beat.py, METRICS_PORT by
ops/metrics.py and the dev server) are parsed here, once. Standard library and environ only: the
dev server's parent runs this file without importing the project (devtools/devserver.py).
"""

import logging
import os
import runpy
import sys
from pathlib import Path

import environ

env = environ.Env()
DEBUG = env.bool("DEBUG", default=False)


def required(name: str, example: str, dev_default: str) -> str:
    """The variable's value; with DEBUG on, a dev-only default; otherwise exit naming it.

    SystemExit rather than ImproperlyConfigured: manage.py, gunicorn and celery would each
    print a long traceback, and the operator needs exactly one line.
    """
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if DEBUG:
        return dev_default
    sys.stderr.write(f"ImproperlyConfigured: set the {name} environment variable (for example {name}={example})\n")
    raise SystemExit(1)


def log_level() -> str:
    """LOG_LEVEL, upper-cased; INFO when unset. A name the logging module does not know stops start-up in one line."""
    given = os.environ.get("LOG_LEVEL", "").strip()
    if given and given.upper() not in logging.getLevelNamesMapping():
        fix = "set LOG_LEVEL=DEBUG, INFO, WARNING, ERROR or CRITICAL"
        sys.stderr.write(f"ImproperlyConfigured: LOG_LEVEL={given!r} is not a log level; {fix}\n")
        raise SystemExit(1)
    return given.upper() or "INFO"


def metrics_port() -> int:
    """METRICS_PORT as a number; 0 (no metrics server) when unset. A bad value stops start-up in one line."""
    value = os.environ.get("METRICS_PORT", "").strip() or "0"
    if not value.isdigit() or int(value) > 65535:
        manifests_use = runpy.run_path(str(Path(__file__).with_name("ports.py")))["METRICS"]
        fix = f"set a port number (the manifests use {manifests_use}), or 0 for no metrics server"
        sys.stderr.write(f"ImproperlyConfigured: METRICS_PORT={value!r} is not a port; {fix}\n")
        raise SystemExit(1)
    return int(value)
