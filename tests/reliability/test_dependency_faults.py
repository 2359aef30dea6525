"""PostgreSQL or Redis goes away and comes back: readiness tells, nothing is lost, nothing restarts."""

import sys
import time

import pytest
import requests

from tests import testenv
from tests.reliability.conftest import load, make_stack
from tests.support.processes import wait_until
from tests.support.scenarios import tally

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

PROBE_PERIOD_SECONDS = 10  # the web readiness probe's periodSeconds in k8s/base


def readiness(url: str) -> tuple[int, dict]:
    response = requests.get(url + "/readyz", timeout=PROBE_PERIOD_SECONDS)
    return response.status_code, response.json()


def test_postgres_outage_turns_readiness_503_and_it_recovers_without_a_restart(private_postgres, tmp_path, record):
    stack = make_stack(tmp_path, admin_url=private_postgres.url, redis_url=testenv.redis_url("faults"))
    try:
        web, url = stack.start_web()
        assert readiness(url) == (200, {"status": "ok"})

        private_postgres.stop()
        stopped = time.monotonic()
        status, body = readiness(url)
        took_down = time.monotonic() - stopped
        # readiness() waits no longer than the probe would: a later answer fails it rather than pass slowly.
        assert (status, body) == (503, {"status": "unavailable", "failing": ["postgres"]})
        assert requests.get(url + "/healthz", timeout=5).status_code == 200
        # What needs the database answers 503 naming it, with Retry-After: an outage, not a bug.
        for method, path, body in (
            ("GET", "/api/jobs", None),
            ("POST", "/api/jobs", {"text": "in the outage"}),
            ("GET", "/", None),
        ):
            answer = requests.request(method, url + path, json=body, timeout=PROBE_PERIOD_SECONDS)
            assert (answer.status_code, answer.headers.get("Retry-After")) == (503, "5"), (path, answer.text[:300])
            assert answer.json()["dependency"] == "postgresql"

        private_postgres.start()
        started = time.monotonic()
        wait_until("readiness to recover", lambda: readiness(url)[0] == 200, PROBE_PERIOD_SECONDS)
        took_up = time.monotonic() - started
        assert web.popen.poll() is None  # the same gunicorn, never restarted
        record(
            "PostgreSQL stopped, then started",
            "readyz 503 naming postgres, healthz 200, the API and the page 503 naming postgresql with Retry-After, "
            "readyz back to 200",
            readyz_503_after_ms=round(took_down * 1000),
            readyz_200_after_ms=round(took_up * 1000),
            web_restarts=0,
        )
    finally:
        stack.teardown()


def test_redis_restart_loses_no_job_queued_or_submitted_during_it(private_redis, tmp_path, record):
    stack = make_stack(tmp_path, redis_url=private_redis.url)
    try:
        fast_sweep = {"ANALYSIS_STALE_AFTER_SECONDS": "3"}
        _, url = stack.start_web()
        worker = stack.start_worker(concurrency=2, ANALYSIS_DELAY_SECONDS="0.1", **fast_sweep)
        stack.start("beat", [sys.executable, "-m", "config.beat"], STALE_JOB_SWEEP_SECONDS="2", **fast_sweep)

        before = load(url, count=60, concurrency=10)  # more than the worker clears at once: a queue builds
        private_redis.stop()
        during = load(url, count=20, concurrency=5)  # accepted, but the broker is gone
        private_redis.start()
        after = load(url, count=20, concurrency=5)

        accepted = before["accepted"] + during["accepted"] + after["accepted"]
        assert len(accepted) == 100, (before["statuses"], during["statuses"], after["statuses"])
        try:
            # Bounded, but generous: under a loaded CI machine the reconnect backoffs of worker
            # and beat stretch, and the stuck jobs wait for beat's next sweep after them.
            wait_until("every job to be done", lambda: tally(stack.job_rows(), accepted)["done"] == 100, 180, 0.5)
        except AssertionError as timeout:
            rows = [row for row in stack.job_rows() if row[1] != "done"]
            logs = {p.name: p.log()[-1500:] for p in stack.processes if p.name in ("worker", "beat")}
            raise AssertionError(
                f"{timeout}: {tally(stack.job_rows(), accepted)}; not done: {rows[:5]}; {logs}"
            ) from None
        counts = tally(stack.job_rows(), accepted)
        assert counts["rows"] == 100 and counts["lost"] == 0
        assert worker.popen.poll() is None  # reconnected, not restarted
        record(
            "Redis restarted with jobs queued; 20 submitted while it was down",
            "every accepted job done once, the worker reconnected",
            **counts,
        )
    finally:
        stack.teardown()
