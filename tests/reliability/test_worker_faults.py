"""The worker dies or is told to stop while a task runs: no job is lost, none recorded twice."""

import os
import signal

import pytest

from tests.support.jobs import submit
from tests.support.processes import wait_until
from tests.support.scenarios import tally

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

SLOW = {"ANALYSIS_DELAY_SECONDS": "3"}


def test_sigterm_warm_shutdown_finishes_the_running_task(rstack, record):
    _, url = rstack.start_web()
    worker = rstack.start_worker(concurrency=1, **SLOW)
    job_id = submit(url, "a slow job")
    wait_until("the job to start", lambda: rstack.job_rows() == [(job_id, "running", 1)], 20)

    worker.signal(signal.SIGTERM)
    assert worker.wait(timeout=30) == 0
    assert rstack.job_rows() == [(job_id, "done", 1)]
    assert "worker: Warm shutdown" in worker.log()
    record(
        "SIGTERM to the worker mid-task", "task finished before exit; exit code 0", **tally(rstack.job_rows(), [job_id])
    )


def test_sigkill_redelivers_the_task_and_records_it_once(rstack, record):
    # A short visibility timeout and sweep stand in for the hour a real deployment waits.
    env = {
        **SLOW,
        "CELERY_VISIBILITY_TIMEOUT": "5",
        "CELERY_UNACKED_RESTORE_INTERVAL": "1",
        "CELERY_UNACKED_RESTORE_THROTTLE": "1",
    }
    _, url = rstack.start_web(**env)
    worker = rstack.start_worker(concurrency=1, **env)
    job_id = submit(url, "a slow job")
    wait_until("the job to start", lambda: rstack.job_rows() == [(job_id, "running", 1)], 20)

    os.killpg(worker.popen.pid, signal.SIGKILL)  # the whole pod at once: main process and pool
    worker.wait(timeout=10)
    replacement = rstack.start_worker("worker-2", concurrency=1, **env)
    wait_until("the redelivered job to be done", lambda: rstack.job_rows()[0][1] == "done", 60)

    assert rstack.job_rows() == [(job_id, "done", 2)]  # a second delivery, one result
    # Celery logs the success after the task's own commit: wait for the line, then count it.
    wait_until("the replacement to log the success", lambda: "succeeded in" in replacement.log(), 10)
    assert replacement.log().count("succeeded in") == 1
    record(
        "SIGKILL to the worker mid-task",
        "redelivered after the visibility timeout; one result",
        **tally(rstack.job_rows(), [job_id]),
    )
