"""Smoke-test a running shipyard end to end: web answers, and a job goes API -> broker -> worker -> PostgreSQL.

    python3 .github/scripts/smoke.py http://127.0.0.1:8000 [--timeout 180]

Standard library only, so it runs on a bare CI runner. Every wait is bounded; the exit code is
0 with one summary line, or 1 with one line saying which step failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

TEXT = "to be or not to be"  # six words: the worker's result is checked, not just its status


class SmokeFailed(Exception):
    pass


def call(method: str, url: str, body: dict | None = None) -> tuple[int, Any]:
    """(status, decoded JSON or None) of one request; connection errors raise OSError."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data is not None else {}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    try:
        return status, json.loads(payload)
    except ValueError:
        return status, None


def wait_for(what: str, check: Callable[[], Any], deadline: float) -> Any:
    """check()'s first truthy answer; connection errors count as 'not yet' until the deadline."""
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            answer = check()
            if answer:
                return answer
            last = "not yet"
        except OSError as error:  # the port-forward may still be starting
            last = str(error)
        time.sleep(1)
    raise SmokeFailed(f"{what}: not within the time limit (last: {last})")


def smoke(base: str, timeout: float) -> str:
    started = time.monotonic()
    deadline = started + timeout
    for path, meaning in (("/healthz", "web is up"), ("/readyz", "PostgreSQL and Redis reachable")):
        wait_for(f"GET {path} answers 200 ({meaning})", lambda p=path: call("GET", base + p)[0] == 200, deadline)

    status, job = call("POST", f"{base}/api/jobs", {"text": TEXT})
    if status != 202 or not isinstance(job, dict) or "id" not in job:
        raise SmokeFailed(f"POST /api/jobs: expected 202 and a job, got {status} {job!r}")

    def finished() -> dict | None:
        status, current = call("GET", f"{base}/api/jobs/{job['id']}")
        if status != 200:
            raise SmokeFailed(f"GET /api/jobs/{job['id']}: {status} {current!r}")
        if current["status"] == "failed":
            raise SmokeFailed(f"job {job['id']} failed: {current.get('error')}")
        return current if current["status"] == "done" else None

    done = wait_for(f"job {job['id']} done by a Celery worker", finished, deadline)
    words = (done.get("result") or {}).get("words")
    if words != len(TEXT.split()):
        raise SmokeFailed(f"job {job['id']} is done but counted {words!r} words, not {len(TEXT.split())}")
    return f"smoke: web ready, job {job['id']} done by a worker ({words} words) in {time.monotonic() - started:.1f}s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="where web answers, e.g. http://127.0.0.1:8000")
    parser.add_argument("--timeout", type=float, default=180, help="seconds for the whole check (default 180)")
    args = parser.parse_args(argv)
    try:
        print(smoke(args.url.rstrip("/"), args.timeout))
    except SmokeFailed as failure:
        print(f"smoke: FAILED: {failure}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
