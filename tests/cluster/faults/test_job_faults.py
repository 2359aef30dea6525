"""Jobs through web's Service while a worker pod is deleted, its pool killed, or Redis deleted: none lost."""

from __future__ import annotations

import pytest

from tests.cluster.faults.fault_stack import FaultStack
from tests.support.processes import wait_until
from tests.support.scenarios import tally

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]


@pytest.fixture
def slow_jobs(faults: FaultStack):
    """Every job takes 8 s in the worker, so a pod can be deleted mid-task; back to normal afterwards."""
    faults.kubectl("set", "env", "deployment/worker", "ANALYSIS_DELAY_SECONDS=8")
    faults.rolled_out("deployment/worker")
    yield
    faults.kubectl("set", "env", "deployment/worker", "ANALYSIS_DELAY_SECONDS-")
    faults.rolled_out("deployment/worker")


def running_job(faults: FaultStack, text: str) -> list[str]:
    """A job submitted through web's Service, once the worker has started it."""
    accepted = faults.load(1, 1, "--submit", text).result()["accepted"]
    assert len(accepted) == 1
    wait_until(f"job {accepted[0]} to be running", lambda: faults.jobs(accepted)[0][1] == "running", 60, 0.2)
    return accepted


# The worker's pool processes: the main process (pid 1) forks them; kubectl exec's own has another parent.
KILL_POOL = (
    "import os, signal\n"
    "for pid in filter(str.isdigit, os.listdir('/proc')):\n"
    "    if open(f'/proc/{pid}/stat').read().rsplit(')', 1)[1].split()[1] == '1': os.kill(int(pid), signal.SIGKILL)\n"
)


def test_a_worker_pod_deleted_mid_task_the_job_ends_done_exactly_once(faults: FaultStack, slow_jobs, record):
    accepted = running_job(faults, "worker pod deleted")
    (worker,) = faults.pods("worker")
    faults.kubectl("delete", "pod", worker["metadata"]["name"], "--wait=false")
    rows = faults.wait_jobs_done(accepted, timeout=150)
    faults.rolled_out("deployment/worker")
    counts = tally(rows, accepted)
    # SIGTERM starts Celery's warm shutdown: the task finishes in the pod that is going away.
    assert counts["done"] == 1 and counts["lost"] == 0 and rows[0][2] == 1, rows
    record(
        "a worker pod deleted mid-task (an 8 s job)",
        "the job ends done once, by the pod going away",
        accepted=counts["accepted"],
        done=counts["done"],
        deliveries=rows[0][2],
        lost=counts["lost"],
    )


def test_a_worker_process_killed_mid_task_the_job_is_redelivered_and_done_once(faults, slow_jobs, record):
    accepted = running_job(faults, "worker process killed")
    (worker,) = faults.pods("worker")
    faults.kubectl("exec", worker["metadata"]["name"], "-c", "worker", "--", "python", "-c", KILL_POOL)
    rows = faults.wait_jobs_done(accepted, timeout=150)
    counts = tally(rows, accepted)
    # As the OOM killer would: the task dies unacked and comes back (reject_on_worker_lost).
    assert counts["done"] == 1 and counts["lost"] == 0 and rows[0][2] == 2, rows
    assert faults.restarts("worker") == {worker["metadata"]["name"]: 0}
    record(
        "the worker's pool processes SIGKILLed mid-task (as by the OOM killer)",
        "the task is redelivered and the job ends done once; the pod does not restart",
        accepted=counts["accepted"],
        done=counts["done"],
        deliveries=rows[0][2],
        lost=counts["lost"],
    )


def test_the_redis_pod_deleted_with_jobs_queued_loses_no_accepted_job(faults: FaultStack, record):
    web_restarts = faults.restarts("web")
    with faults.scaled_to_zero("deployment/worker"):
        wait_until("the worker pods to go", lambda: not faults.pods("worker"), 120, 0.5)
        first = faults.load(40, 4, "--submit", "queued before").result()
        queued = int(faults.kubectl("exec", "deployment/redis", "--", "redis-cli", "llen", "celery").stdout)
        assert queued >= len(first["accepted"]) == 40, (queued, first)

        faults.kubectl("delete", "pod", "-l", "app.kubernetes.io/component=redis", "--wait=false")
        during = faults.load(40, 20, "--submit", "submitted around the restart")
        result = during.result()
        faults.rolled_out("deployment/redis")
    accepted = first["accepted"] + result["accepted"]
    rows = faults.wait_jobs_done(accepted, timeout=240)
    counts = tally(rows, accepted)
    assert counts["lost"] == 0, counts
    assert faults.restarts("web") == web_restarts
    record(
        "Redis pod deleted with 40 jobs queued (worker scaled to 0), 40 more submitted over 20 s from then on",
        "every accepted job done (beat's sweep re-enqueues what Redis lost); no web restart",
        sent=first["sent"] + result["sent"],
        failed=first["failed"] + result["failed"],
        queued=queued,
        **counts,
    )
