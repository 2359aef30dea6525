"""One id follows a request: logged with it, returned in X-Request-ID, carried into the Celery
task it enqueues and logged by the worker that runs that task (docs/runtime-contract.md)."""

import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar

HEADER = "X-Request-ID"
# Passed on as given when it looks like an id (a proxy's or a client's); anything else, and
# anything long enough to bloat every log line, is replaced by a new one.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
current: ContextVar[str | None] = ContextVar("request_id", default=None)
log = logging.getLogger("shipyard.request")


def accept(given: str | None) -> str:
    return given if given and WELL_FORMED.fullmatch(given) else uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's (or task's) id on every record: the `request_id` field."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current.get()
        return True


class RequestIdMiddleware:
    """Sets the id for the request, returns it, and logs the request once it is answered."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current.set(accept(request.headers.get(HEADER)))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = current.get()
            fields = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            }
            if request.META.get("QUERY_STRING"):
                fields["query"] = request.META["QUERY_STRING"]
            log.info("%s %s %s", request.method, request.path, response.status_code, extra=fields)
            return response
        finally:
            current.reset(token)


def carried(fn: Callable[[], object]) -> Callable[[], object]:
    """FN, to be run later (on commit, after the request may have ended) with this request's id."""
    given = current.get()

    def run() -> object:
        token = current.set(given)
        try:
            return fn()
        finally:
            current.reset(token)

    return run


def add_to_task_headers(headers=None, **_kwargs) -> None:
    """Celery's before_task_publish: a task enqueued while serving a request carries its id."""
    if headers is not None and current.get():
        headers["request_id"] = current.get()


def set_from_task(task=None, **_kwargs) -> None:
    """Celery's task_prerun: the worker's records for this task carry the id it was sent with."""
    request = getattr(task, "request", None)
    given = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get("request_id")
    current.set(given if given and WELL_FORMED.fullmatch(str(given)) else None)
