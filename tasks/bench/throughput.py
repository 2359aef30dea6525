"""Throughput of the prod image: gunicorn pages, and jobs end to end (API, broker, worker, PostgreSQL).

The load comes from tasks/bench/loadgen.py in a second process, bounded in count and time, on
loopback only, with the headers the Ingress would add (Host, X-Forwarded-Proto).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import psycopg2

from tasks.bench import loadgen
from tasks.bench.testbed import WEB, BenchError, poll
from tasks.paths import ROOT


def run_loadgen(*args: str, headers: dict[str, str], seconds: float) -> dict[str, Any]:
    """One bounded run of the load generator, as its own process; its JSON summary."""
    argv = [sys.executable, str(loadgen.SCRIPT), "--url", WEB, "--seconds", str(seconds), *args]
    for name, value in headers.items():
        argv += ["--header", f"{name}: {value}"]
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=seconds + 60)
    if result.returncode != 0:
        raise BenchError(f"loadgen failed: {(result.stderr.strip().splitlines() or ['no output'])[-1]}")
    return json.loads(result.stdout)


def page(path: str, count: int, concurrency: int, headers: dict[str, str], seconds: float = 30) -> dict[str, Any]:
    """Requests per second and latency of GET `path`; ok is the share answered 200."""
    summary = run_loadgen(
        "--get", path, "--count", str(count), "--concurrency", str(concurrency), headers=headers, seconds=seconds
    )
    ok = summary["statuses"].get("200", 0)
    if not ok:
        raise BenchError(f"GET {path} never answered 200: {summary['statuses']}")
    return {
        "path": path,
        "requests": summary["sent"],
        "ok": round(ok / summary["sent"], 4),
        "concurrency": concurrency,
        "requests_per_second": summary["requests_per_second"],
        "latency_p50": summary["latency_p50"],
        "latency_p95": summary["latency_p95"],
    }


def done_count(database_url: str, ids: list[str]) -> int:
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM analysis_job WHERE status = 'done' AND id::text = ANY(%s)", (ids,))
        return cur.fetchone()[0]


def jobs(count: int, concurrency: int, headers: dict[str, str], database_url: str, timeout: float = 300) -> dict:
    """Submit `count` jobs through the API; jobs per second from the first submission to the last result."""
    started = time.monotonic()
    submitted = run_loadgen("--count", str(count), "--concurrency", str(concurrency), headers=headers, seconds=60)
    ids = submitted["accepted"]
    if not ids:
        raise BenchError(f"no job was accepted: {submitted['statuses']}")
    poll(f"{len(ids)} jobs to be done", lambda: done_count(database_url, ids) == len(ids), timeout, 0.1)
    elapsed = time.monotonic() - started
    return {
        "jobs": len(ids),
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "jobs_per_second": round(len(ids) / elapsed, 1),
        "submissions_per_second": submitted["requests_per_second"],
        "submit_latency_p50": submitted["latency_p50"],
        "submit_latency_p95": submitted["latency_p95"],
    }
