"""Prometheus metrics of web, worker and beat, and the server each of them exposes them on.

A process serves its metrics on METRICS_PORT (unset or 0: no server), a port of its own: /metrics is
not a URL of the Django app, so nothing routed to web's public port (the Ingress) can reach it.
Under gunicorn and Celery's prefork pool, requests and tasks are counted in child processes. With
PROMETHEUS_MULTIPROC_DIR set, every process writes its values to files there and the server adds
them up (prometheus-client's multiprocess mode): one directory per web, worker or beat process tree.
docs/runtime-contract.md lists the metrics.
"""

import os
import socket
import sys
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from config.env import metrics_port

# prometheus-client chooses where values live when it is imported: the directory must exist by then.
MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROC_DIR:
    try:
        Path(MULTIPROC_DIR).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fix = "point it at a writable directory (the manifests use /tmp/metrics, on the pod's emptyDir)"
        sys.stderr.write(f"ImproperlyConfigured: PROMETHEUS_MULTIPROC_DIR={MULTIPROC_DIR!r}: {error}; {fix}\n")
        raise SystemExit(1) from None

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, multiprocess  # noqa: E402
from prometheus_client.exposition import make_wsgi_app  # noqa: E402
from prometheus_client.registry import Collector  # noqa: E402

# --- What is measured -------------------------------------------------------------------------
# Labels stay few and bounded: a view name, never a path; a method from a short list; a status.
REQUESTS = Counter(
    "shipyard_http_requests",
    "HTTP requests answered (probes excluded), by view, method and status.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "shipyard_http_request_duration_seconds",
    "Time from the request reaching Django to its response.",
    ["view", "method", "status"],
)
TASKS = Counter(
    "shipyard_celery_tasks",
    "Celery tasks the worker ran, by task and outcome (success, failure, retry...).",
    ["task", "outcome"],
)
TASK_SECONDS = Histogram(
    "shipyard_celery_task_duration_seconds",
    "Time a Celery task ran in the worker, by task.",
    ["task"],
    # Up to the hard time limit (CELERY_TASK_TIME_LIMIT, 60 s).
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
# Beat's last tick and the queues' depth: ops/task_metrics.py.


# --- How it is served -------------------------------------------------------------------------
def clear_multiprocess_dir() -> None:
    """Forget the values of a previous run (a restarted container keeps its emptyDir): call it once, in
    the process that serves, before any process of its tree records a value."""
    if MULTIPROC_DIR:
        for path in Path(MULTIPROC_DIR).glob("*.db"):
            path.unlink()


def mark_dead(pid: int) -> None:
    """A child exited (gunicorn's child_exit): drop its live gauges; its counts stay in the sums."""
    if MULTIPROC_DIR:
        multiprocess.mark_process_dead(pid, MULTIPROC_DIR)


def registry(*collectors: Collector) -> CollectorRegistry:
    """What a scrape returns: every process's values in multiprocess mode, else this process's."""
    if MULTIPROC_DIR:
        served = CollectorRegistry()
        multiprocess.MultiProcessCollector(served, MULTIPROC_DIR)
    else:
        served = REGISTRY
    for collector in collectors:
        served.register(collector)
    return served


class _Quiet(WSGIRequestHandler):
    def log_message(self, *_args) -> None:  # a scrape every few seconds is not worth a log line
        pass


class _ListeningSocketServer(WSGIServer):
    """A WSGIServer on a socket that is listening already, instead of one it binds itself."""

    def __init__(self, listening: socket.socket):
        self.listening = listening
        super().__init__(listening.getsockname()[:2], _Quiet)

    def server_bind(self) -> None:
        self.socket.close()
        self.socket = self.listening
        self.server_address = self.socket.getsockname()[:2]
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]
        self.setup_environ()

    def server_activate(self) -> None:
        pass


def serve(*collectors: Collector, listening: socket.socket | None = None) -> WSGIServer | None:
    """Serve the metrics from a daemon thread: on METRICS_PORT, or on a socket already listening (the
    dev server's parent keeps one across reloads). None when there is no port to serve on."""
    if listening is not None:
        server = _ListeningSocketServer(listening)
    elif port := metrics_port():
        try:
            server = make_server("0.0.0.0", port, None, handler_class=_Quiet)
        except OSError as error:
            fix = "free it or set another"
            sys.stderr.write(f"metrics: cannot listen on port {port} (METRICS_PORT): {error}; {fix}\n")
            raise SystemExit(1) from None
    else:
        return None
    server.set_app(make_wsgi_app(registry(*collectors)))
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
