"""PostgreSQL's pod goes away: web turns unready (naming postgres) instead of restarting, and nothing is lost."""

from __future__ import annotations

import time

import pytest

from tests.cluster.faults.fault_stack import FaultStack, since
from tests.support.processes import wait_until
from tests.support.scenarios import tally

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]


def submit_and_finish(faults: FaultStack, count: int, text: str) -> list[str]:
    accepted = faults.load(count, 2, "--submit", text).result()["accepted"]
    assert len(accepted) == count
    assert tally(faults.wait_jobs_done(accepted), accepted)["done"] == count
    return accepted


def test_a_postgres_outage_takes_web_out_of_the_service_and_back_without_a_restart(faults: FaultStack, record):
    before = submit_and_finish(faults, 10, "before the outage")
    restarts = faults.restarts("web")
    web = sorted(restarts)

    def readiness_failing() -> tuple[int, str] | None:
        answer = faults.probe_in(web[0], "/readyz")
        return answer if answer[0] == 503 else None

    # The pod is deleted and kept away (replicas 0), so the outage outlasts readiness' 3 x 10 s.
    with faults.scaled_to_zero("statefulset/postgres"):
        started = time.monotonic()
        answers = wait_until("web's readiness to fail", readiness_failing, 60, 0.5)
        to_503 = since(started)
        assert '"failing": ["postgres"]' in answers[1], answers
        assert faults.probe_in(web[0], "/healthz")[0] == 200
        wait_until("both web pods to leave the Service's endpoints", lambda: faults.endpoints() == (0, 2), 90, 0.5)
        to_out = since(started)
    back = time.monotonic()
    wait_until("both web pods to be back in the endpoints", lambda: faults.endpoints() == (2, 0), 180, 0.5)
    to_in = since(back)
    assert faults.restarts("web") == restarts, "web restarted: its liveness must not depend on PostgreSQL"

    after = submit_and_finish(faults, 10, "after the outage")
    counts = tally(faults.jobs(before + after), before + after)
    assert counts["lost"] == 0, counts
    record(
        "PostgreSQL's pod deleted and kept away (StatefulSet scaled to 0), then back",
        "/readyz 503 naming postgres, /healthz 200; both web pods left the endpoints and came back; "
        "0 web restarts; jobs from before and after all done",
        to_503_s=to_503,
        out_of_endpoints_s=to_out,
        back_in_s=to_in,
        web_restarts=0,
        **counts,
    )


def test_postgres_keeps_its_rows_across_its_pods_deletion(faults: FaultStack, record):
    submit_and_finish(faults, 5, "kept on the volume")
    count = "SELECT count(*) FROM analysis_job"
    (rows_before,) = faults.sql(count)[0]
    pod = faults.kubectl("get", "pod", "postgres-0", "-o", "jsonpath={.metadata.uid}").stdout
    claim = faults.kubectl("get", "pvc", "data-postgres-0", "-o", "jsonpath={.spec.volumeName}").stdout
    load = faults.load(300, 30)
    load.wait_started()
    faults.kubectl("delete", "pod", "postgres-0", "--wait=true", timeout=120)
    faults.rolled_out("statefulset/postgres")
    result = load.result()
    faults.serving()
    assert faults.kubectl("get", "pod", "postgres-0", "-o", "jsonpath={.metadata.uid}").stdout != pod
    assert faults.kubectl("get", "pvc", "data-postgres-0", "-o", "jsonpath={.spec.volumeName}").stdout == claim
    (rows_after,) = faults.sql(count)[0]
    assert rows_after == rows_before and int(rows_before) >= 5
    # One PostgreSQL: requests that need it are refused while it restarts (503 naming it, with Retry-After: an
    # outage, not a bug), and only then.
    failed_for = round(result["failed_at"][-1] - result["failed_at"][0], 1) if result["failed"] else 0
    assert set(result["failures"]) <= {"503"}, result["failures"]
    record(
        "PostgreSQL's pod deleted under load (its StatefulSet makes a new one on the same claim)",
        "every job row is still there; the failures are 503s and stop once PostgreSQL is back",
        rows_before=int(rows_before),
        rows_after=int(rows_after),
        sent=result["sent"],
        ok=result["ok"],
        failed=result["failed"],
        failing_for_s=failed_for,
    )
