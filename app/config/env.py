"""Read settings from the environment; in production, a missing one stops start-up in one line."""

import os
import sys

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
