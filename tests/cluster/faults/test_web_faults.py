"""web under bounded load through its Service while its pods are deleted, replaced and added: no request fails."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.cluster.faults.fault_stack import MARKER, FaultStack, since

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]


def why(result: dict) -> str:
    return f"{result['failed']} of {result['sent']} failed: {result['failures']}, at {result['failed_at']} s"


def counts(result: dict) -> dict[str, int]:
    return {key: result[key] for key in ("sent", "ok", "failed")}


def test_a_web_pod_deleted_under_load_fails_no_request(faults: FaultStack, record):
    assert len(faults.pods("web")) == 2
    faults.serving()
    load = faults.load(300, 20)
    load.wait_started()
    time.sleep(3)
    victim = faults.pods("web")[0]["metadata"]["name"]
    faults.kubectl("delete", "pod", victim, "--wait=false")
    result = load.result()
    faults.rolled_out("deployment/web")
    assert result["sent"] == 300 and result["failed"] == 0, why(result)
    assert victim not in {p["metadata"]["name"] for p in faults.pods("web")}
    record(
        "a web pod deleted under load (2 replicas, 15 requests/s through the Service)",
        "zero failed requests; the Deployment replaced the pod",
        **counts(result),
    )


def test_a_rolling_update_fails_no_request_and_undo_serves_the_previous_code(faults: FaultStack, record):
    def roll(*command: str) -> tuple[dict, float]:
        load = faults.load(450, 30, "--marker", MARKER)
        load.wait_started()
        started = time.monotonic()
        faults.kubectl(*command)
        faults.rolled_out("deployment/web")
        took = since(started)
        result = load.result()
        assert result["sent"] == 450 and result["failed"] == 0, (command, why(result))
        assert took < result["seconds"], f"the rollout ({took}s) outlasted the load: it was not all under load"
        return result, took

    def marked_share() -> tuple[int, int]:
        after = faults.load(30, 3, "--marker", MARKER).result()
        assert after["failed"] == 0, after
        return after["marked"], after["ok"]

    update, update_took = roll("set", "image", "deployment/web", f"web={faults.images['b']}")
    assert marked_share() == (30, 30), "after the update every answer comes from image B"
    undo, undo_took = roll("rollout", "undo", "deployment/web")
    assert marked_share() == (0, 30), "after the undo no answer comes from image B"
    images = {p["spec"]["containers"][0]["image"] for p in faults.pods("web")}
    assert images == {faults.images["a"]}
    record(
        "rolling update of web to image B under load, then `kubectl rollout undo` under load",
        "zero failed requests in both; B served after the update, only A after the undo",
        sent=update["sent"] + undo["sent"],
        ok=update["ok"] + undo["ok"],
        failed=update["failed"] + undo["failed"],
        update_s=update_took,
        undo_s=undo_took,
    )


def test_web_scaled_from_1_to_3_every_replica_serves(faults: FaultStack, record):
    faults.kubectl("scale", "deployment/web", "--replicas=1")
    faults.rolled_out("deployment/web")
    token = uuid.uuid4().hex[:8]
    load = faults.load(300, 20, "--path", f"/?scale={token}")
    load.wait_started()
    faults.kubectl("scale", "deployment/web", "--replicas=3")
    faults.rolled_out("deployment/web")
    result = load.result()
    served = {}
    for pod in faults.pods("web"):
        name = pod["metadata"]["name"]
        served[name] = faults.kubectl("logs", name, "-c", "web").stdout.count(f"scale={token}")
    faults.kubectl("scale", "deployment/web", "--replicas=2")
    faults.rolled_out("deployment/web")
    assert result["failed"] == 0, why(result)
    assert len(served) == 3 and all(served.values()), f"requests per replica: {served}"
    assert sum(served.values()) == result["ok"], (served, result)
    record(
        "web scaled 1 -> 3 under load",
        "zero failed requests; all 3 replicas served (from their request log lines)",
        **counts(result),
        **{f"replica_{i + 1}": n for i, n in enumerate(sorted(served.values()))},
    )
