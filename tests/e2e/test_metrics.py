"""Metrics as a real Prometheus (Debian's package) scrapes them from real gunicorn, worker and beat on
loopback: exact counts after known traffic, across gunicorn's workers and the worker's pool, and the
queue depth following the worker going away and coming back."""

import os
import signal
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tasks import ports
from tests.support.processes import BIN, free_port, wait_until
from tests.support.prometheus import Prometheus

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

# Celery warns on stderr when it runs as root, as the tests here may; the pods never do.
NOT_ROOT_WARNING = "ignore:You're running the worker with superuser"


@pytest.fixture
def observed(stack, tmp_path):
    """web, worker and beat, each serving metrics on a port of its own, scraped every second."""
    ports = {name: free_port() for name in ("web", "worker", "beat")}

    def metrics_env(name: str) -> dict[str, str]:
        return {"METRICS_PORT": str(ports[name]), "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics" / name)}

    stack.metrics_env = metrics_env
    _, stack.url = stack.start_web(**metrics_env("web"))
    stack.start_worker(PYTHONWARNINGS=NOT_ROOT_WARNING, **metrics_env("worker"))
    stack.start_beat(**metrics_env("beat"))
    prometheus = Prometheus({name: f"127.0.0.1:{port}" for name, port in ports.items()}, tmp_path / "prometheus")
    prometheus.wait_for("every target to be up", "up", {("web",): 1, ("worker",): 1, ("beat",): 1}, "job")
    yield stack, prometheus
    prometheus.stop()


def send(url: str, calls: list[tuple[str, str]]) -> list[int]:
    """Each (method, path) on a connection of its own, four at a time, so both gunicorn workers serve."""

    def one(call: tuple[str, str]) -> int:
        method, path = call
        body = {"json": {"text": "count me"}} if method == "POST" else {}
        return requests.request(method, url + path, timeout=10, **body).status_code

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, calls))


def gunicorn_workers(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return [int(pid) for pid in children]


def scrapes(prometheus: Prometheus, job: str) -> float:
    return prometheus.value(f'count_over_time(up{{job="{job}"}}[1h])') or 0


def test_prometheus_counts_exactly_the_requests_and_jobs_sent(observed):
    stack, prometheus = observed
    web = stack.processes[0]
    calls = [("GET", "/api/jobs")] * 12 + [("POST", "/api/jobs")] * 5 + [("GET", "/no-such-page")] * 3
    assert sorted(send(stack.url, calls)) == [200] * 12 + [202] * 5 + [404] * 3
    # A gunicorn worker killed: what it counted stays in the sum, and its replacement counts on.
    first = gunicorn_workers(web.popen.pid)
    os.kill(first[0], signal.SIGKILL)
    wait_until("gunicorn to replace its killed worker", lambda: set(gunicorn_workers(web.popen.pid)) - set(first), 30)
    assert sorted(send(stack.url, [("GET", "/api/jobs")] * 8 + [("POST", "/api/jobs")] * 3)) == [200] * 8 + [202] * 3
    wait_until("all 8 jobs done", lambda: [status for _, status, _ in stack.job_rows()] == ["done"] * 8, 60)

    requests_by_view = "sum by (view, method, status) (shipyard_http_requests_total)"
    expected = {("api-jobs", "GET", "200"): 20, ("api-jobs", "POST", "202"): 8, ("unmatched", "GET", "404"): 3}
    prometheus.wait_for("the request counts", requests_by_view, expected, "view", "method", "status")
    prometheus.wait_for("the job counts", "sum by (outcome) (shipyard_jobs_total)", {("done",): 8}, "outcome")
    task_runs = 'sum by (outcome) (shipyard_celery_tasks_total{task="analysis.analyse_text"})'
    prometheus.wait_for("the task counts", task_runs, {("success",): 8}, "outcome")

    # Three scrapes later the counts have not moved: nothing is counted twice, no probe is counted.
    seen = scrapes(prometheus, "web")
    wait_until("three more scrapes of web", lambda: scrapes(prometheus, "web") >= seen + 3, 15)
    answer = prometheus.query(requests_by_view)
    print(f"PromQL {requests_by_view} -> {[(r['metric'], r['value'][1]) for r in answer]}")  # for the record
    assert prometheus.values(requests_by_view, "view", "method", "status") == expected
    assert prometheus.value("sum(shipyard_http_request_duration_seconds_count)") == 31
    assert prometheus.value('sum(shipyard_celery_task_duration_seconds_count{task="analysis.analyse_text"})') == 8
    # The counts came from several processes: both first gunicorn workers or the replacement, both pool processes.
    for name, at_least in (("web", 2), ("worker", 2)):
        directory = Path(stack.metrics_env(name)["PROMETHEUS_MULTIPROC_DIR"])
        writers = {path.stem.split("_")[-1] for path in directory.glob("counter_*.db")}
        assert len(writers) >= at_least, f"{name}: values from processes {writers} only"


def test_queue_depth_rises_while_the_worker_is_stopped_and_falls_when_it_restarts(observed):
    stack, prometheus = observed
    depth = 'shipyard_celery_queue_length{queue="celery"}'
    prometheus.wait_for("an empty queue", depth, 0)
    worker = stack.processes[1]
    worker.stop()
    assert send(stack.url, [("POST", "/api/jobs")] * 6) == [202] * 6
    prometheus.wait_for("six jobs waiting", depth, 6)
    prometheus.wait_for("the stopped worker to be down", 'up{job="worker"}', 0)
    assert prometheus.value("shipyard_celery_broker_up") == 1
    stack.start_worker(name="worker-again", PYTHONWARNINGS=NOT_ROOT_WARNING, **stack.metrics_env("worker"))
    prometheus.wait_for("the queue to drain", depth, 0)
    wait_until("all 6 jobs done", lambda: [status for _, status, _ in stack.job_rows()] == ["done"] * 6, 60)
    # Beat ticks every few seconds (ops/heartbeat.py): its last tick moves on while we watch.
    tick = prometheus.value("shipyard_beat_last_tick_timestamp_seconds")
    wait_until("beat's next tick", lambda: prometheus.value("shipyard_beat_last_tick_timestamp_seconds") > tick, 30)


def test_metrics_are_served_on_their_own_port_and_not_on_the_public_one(stack):
    metrics_port = free_port()
    _, url = stack.start_web(METRICS_PORT=str(metrics_port))
    assert requests.get(url + "/metrics", timeout=5).status_code == 404
    served = requests.get(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5)
    assert served.status_code == 200 and "# TYPE shipyard_http_requests_total counter" in served.text


START = {
    "web": [str(BIN / "gunicorn"), "config.wsgi", "--config", "python:config.gunicorn", "--bind", "127.0.0.1:0"],
    "worker": [str(BIN / "celery"), "--app", "config", "--quiet", "worker", "--without-mingle", "--without-gossip"],
    "beat": [sys.executable, "-m", "config.beat"],
}


@pytest.mark.parametrize("name", START)
@pytest.mark.parametrize("value", ["nine", "70000"])
def test_a_bad_metrics_port_stops_the_process_in_one_line(stack, name, value):
    process = stack.start(f"{name}-{value}", START[name], METRICS_PORT=value, PYTHONWARNINGS=NOT_ROOT_WARNING)
    assert process.wait(timeout=60) != 0
    errors = [line for line in process.log().splitlines() if "METRICS_PORT" in line]
    assert errors == [
        f"ImproperlyConfigured: METRICS_PORT='{value}' is not a port; set a port number (the manifests "
        f"use {ports.METRICS}), or 0 for no metrics server"
    ], process.log()


def test_a_taken_metrics_port_stops_web_in_one_line(stack):
    with socket.create_server(("0.0.0.0", 0)) as taken:
        port = taken.getsockname()[1]
        process = stack.start("web-taken", START["web"], METRICS_PORT=str(port))
        assert process.wait(timeout=60) != 0
    assert f"metrics: cannot listen on port {port} (METRICS_PORT):" in process.log()
