"""Hundreds of concurrent submissions, and bad input at volume, from a second process."""

import pytest
import requests

from tests.reliability.conftest import load
from tests.support.processes import wait_until
from tests.support.scenarios import tally

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_every_accepted_job_under_concurrent_load_is_done_once(stack, record):
    _, url = stack.start_web()
    stack.start_worker(concurrency=2)
    result = load(url, count=300, concurrency=25)
    assert result["statuses"] == {"202": 300}, result["statuses"]
    accepted = result["accepted"]
    wait_until("all jobs to be done", lambda: tally(stack.job_rows(), accepted)["done"] == 300, 120, 0.5)
    counts = tally(stack.job_rows(), accepted)
    assert counts == {"accepted": 300, "rows": 300, "done": 300, "redelivered": 0, "lost": 0}
    record(
        "300 concurrent API submissions from a second process",
        "rows, done and attempts counted in PostgreSQL",
        **counts,
        requests_per_second=int(result["requests_per_second"]),
    )


def test_bad_input_at_volume_is_all_4xx_stores_nothing_and_leaves_the_worker_alone(stack, record):
    _, url = stack.start_web()
    worker = stack.start_worker(concurrency=2)
    result = load(url, count=400, concurrency=20, bad=True)
    assert set(result["statuses"]) <= {"400", "413", "415"}, result["statuses"]
    assert sum(result["statuses"].values()) == 400
    assert stack.job_rows() == []

    good = requests.post(f"{url}/api/jobs", json={"text": "still working"}, timeout=5).json()["id"]
    wait_until("a good job after the flood", lambda: stack.job_rows() == [(good, "done", 1)], 30)
    assert worker.popen.poll() is None
    record(
        "400 malformed, mistyped and oversized submissions",
        "all 4xx, no row stored, next good job done",
        bad_sent=400,
        **{f"http_{k}": v for k, v in sorted(result["statuses"].items())},
        rows_stored=0,
    )
