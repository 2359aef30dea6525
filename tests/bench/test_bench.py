"""`invoke bench`: it runs for real, writes every metric with sane values, and refuses bad input.

The quick run is here so the benchmark cannot rot; it never asserts a time or a target.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.bench.report import CLUSTER_LOOPS, CLUSTER_PHASES, CLUSTER_WORKER_PHASES, LOOPS, TARGETS
from tasks.paths import ROOT
from tests.checks.cli import invoke_here
from tests.image.conftest import base_image, dev_image, prod_image  # noqa: F401 - shared fixtures

INVOKE = str(Path(sys.executable).parent / "invoke")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def invoke_bench(*args: str, timeout: float = 540) -> subprocess.CompletedProcess:
    return subprocess.run([INVOKE, "bench", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def assert_distribution(name: str, d: dict) -> None:
    assert d["n"] >= 1 and len(d["samples"]) == d["n"], name
    assert all(isinstance(s, float) and s > 0 for s in d["samples"]), (name, d["samples"])
    assert 0 < d["min"] <= d["p50"] <= d["p95"] <= d["max"], (name, d)


def test_out_pointing_at_a_file_is_one_line_and_a_non_zero_exit(tmp_path):
    a_file = tmp_path / "results"
    a_file.write_text("not a folder")
    result = invoke_here("bench", "--out", str(a_file))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [f"--out {a_file}: a file is in the way; give a directory"]
    assert a_file.read_text() == "not a folder"


@pytest.mark.docker
@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.cluster
@pytest.mark.slow
def test_quick_bench_writes_every_metric(tmp_path, dev_image, prod_image, cluster_session):  # noqa: F811 - fixtures
    cluster_session.ensure_stack()  # the session's cluster: the bench uses it and leaves it running
    result = invoke_bench("--quick", "--out", str(tmp_path), timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "(10/10)" in result.stdout  # progress was shown
    assert result.stdout.strip().splitlines()[-1].startswith("bench (quick) done in ")

    run = tmp_path / "latest"
    results = json.loads((run / "results.json").read_text())
    meta, m = results["meta"], results["metrics"]
    assert meta["mode"] == "quick" and meta["cpu_count"] == os.cpu_count()
    assert meta["tools"]["docker_engine"] and meta["images"]["dev"]["django"] and meta["images"]["prod"]["gunicorn"]

    for key, _label in LOOPS + CLUSTER_LOOPS:
        assert_distribution(key, m[key])
    assert_distribution("web reload in the pod", m["web_in_pod_reload"])
    for tool in ("skaffold", "tilt"):
        assert m[f"{tool}_to_all_ready"] > 0
        for metric, keys in (
            ("web_edit_to_served", CLUSTER_PHASES),
            ("worker_edit_to_new_result", CLUSTER_WORKER_PHASES),
        ):
            phases = m[f"{tool}_{metric}"]["phases_p50"]
            assert set(phases) == set(keys) and phases["to_served"] is not None
    assert all(isinstance(v, float) and v >= 0 for v in m["web_edit_to_served"]["phases_p50"].values() if v is not None)
    for where in ("dev", "dev_pod", "prod"):
        assert_distribution(f"cold start {where}", m["cold_start"][where]["app"])
    assert "app_under_debugpy" in m["cold_start"]["dev"] and "app_under_debugpy" not in m["cold_start"]["prod"]
    assert m["naive_over_synced"] > 0 and m["web_edit_over_floor"] > 0

    assert m["prod_code_only_rebuild"]["seconds"] > 0
    assert isinstance(m["prod_code_only_rebuild"]["dependency_layers_cached"], bool)
    image = m["prod_image"]
    assert image["prod_bytes"] > image["base_bytes"] > 0
    assert image["over_base_bytes"] == image["prod_bytes"] - image["base_bytes"]

    for page in m["web_throughput"].values():
        assert page["requests"] > 0 and page["requests_per_second"] > 0 and 0 < page["ok"] <= 1
        assert 0 < page["latency_p50"] <= page["latency_p95"]
    jobs = m["celery_throughput"]
    assert jobs["jobs"] > 0 and jobs["jobs_per_second"] > 0 and jobs["submissions_per_second"] > 0

    cost = m["footprint"]  # one developer's stack under skaffold dev (tests/bench/test_footprint.py: the arithmetic)
    for window in ("rest", "edits"):
        assert set(cost[window]["workloads"]) == {"web", "worker", "beat", "postgres", "redis"}, cost[window]
        assert 100 < cost[window]["total"]["working_set_mib"]["median"] < 2000
    assert cost["requests"]["running"]["memory_mib"] > 0 and [n["node_gib"] for n in cost["nodes"]] == [8, 16, 32]

    # A quick run leaves out only the first ./bin/up (it stops the engine and the cluster): judged on the rest.
    assert "first_run" not in results["metrics"]
    assert [t["name"] for t in results["targets"]] == [t.name for t in TARGETS if not t.metric.startswith("first_run.")]
    assert all(isinstance(t["met"], bool) and t["value"] > 0 for t in results["targets"])
    table = (run / "results.md").read_text()
    assert "| web edit (synced) |" in table and "## Where the time goes" in table
    assert "| web edit, skaffold dev |" in table and "| web edit, tilt up |" in table
    assert "## What a developer costs" in table
    assert (run / "latency.png").read_bytes().startswith(PNG_SIGNATURE)
