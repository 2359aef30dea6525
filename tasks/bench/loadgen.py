"""A bounded load generator for the JSON API, run as its own process: `python tasks/bench/loadgen.py`.

Run it by path: it imports nothing from the tasks package, so it starts in a fraction of the time.

It sends exactly --count requests (good submissions, a mix of bad ones, or GETs of one page
with --get PATH) from --concurrency threads, gives up after --seconds, and prints one JSON
summary: what was sent, the status codes, the ids of accepted jobs and the latency percentiles.
--header adds what an Ingress would send (Host, X-Forwarded-Proto). Loopback targets only.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlparse

import requests

SCRIPT = Path(__file__).resolve()  # what callers run: [sys.executable, SCRIPT, ...]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}

# Malformed JSON, wrong types, wrong shapes, empty text, a huge body, a wrong content type.
BAD_BODIES: list[tuple[bytes, str]] = [
    (b"{not json", "application/json"),
    (b'{"text": 42}', "application/json"),
    (b'["text"]', "application/json"),
    (b'{"text": ""}', "application/json"),
    (b'{"other": "x"}', "application/json"),
    (b'{"text": "' + b"a" * (2 * 1024 * 1024) + b'"}', "application/json"),
    (b"text=hello", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00", "application/json"),
]


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile: the smallest sample with at least q of all samples at or below it
    (sorted, the ceil(q * n)-th). Never interpolated; the same rule for every n."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(math.ceil(round(q * len(ordered), 9)) - 1, 0)]  # round: 0.95 * 20 must stay 19


def run(
    url: str,
    count: int,
    concurrency: int,
    seconds: float,
    bad: bool,
    get: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict:
    deadline = time.monotonic() + seconds
    local = threading.local()
    statuses: Counter[str] = Counter()
    accepted: list[str] = []
    latencies: list[float] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        if time.monotonic() > deadline:
            with lock:
                statuses["not-sent"] += 1
            return
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        body, content_type = (
            BAD_BODIES[i % len(BAD_BODIES)]
            if bad
            else (json.dumps({"text": f"job {i} " * 20}).encode(), "application/json")
        )
        start = time.monotonic()
        try:
            if get is not None:
                response = session.get(f"{url}{get}", headers=headers, timeout=30)
            else:
                sent = {**(headers or {}), "Content-Type": content_type}
                response = session.post(f"{url}/api/jobs", data=body, headers=sent, timeout=30)
            status, job_id = (
                str(response.status_code),
                response.json().get("id") if response.status_code == 202 else None,
            )
        except (requests.RequestException, ValueError) as exc:
            status, job_id = f"error:{type(exc).__name__}", None
        with lock:
            latencies.append(time.monotonic() - start)
            statuses[status] += 1
            if job_id:
                accepted.append(job_id)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.monotonic() - started
    return {
        "sent": count - statuses["not-sent"],
        "statuses": dict(statuses),
        "accepted": accepted,
        "seconds": round(elapsed, 3),
        "requests_per_second": round((count - statuses["not-sent"]) / elapsed, 1) if elapsed else 0.0,
        "latency_p50": round(percentile(latencies, 0.5), 4),
        "latency_p95": round(percentile(latencies, 0.95), 4),
    }


class OneLineParser(argparse.ArgumentParser):
    """Bad arguments get one line naming the problem, not the whole usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"loadgen: {message} (see --help)\n")


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="base URL of web, e.g. http://127.0.0.1:8000")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="stop sending after this long")
    parser.add_argument("--bad", action="store_true", help="send malformed submissions instead of good ones")
    parser.add_argument("--get", metavar="PATH", help="GET this page (e.g. /healthz) instead of submitting jobs")
    parser.add_argument("--header", action="append", default=[], help="'Name: value', e.g. 'Host: app.example.com'")
    args = parser.parse_args(argv)
    if any(":" not in h for h in args.header) or (args.get is not None and not args.get.startswith("/")):
        parser.error("--header takes 'Name: value' and --get a path starting with /")
    headers = {name.strip(): value.strip() for name, value in (h.split(":", 1) for h in args.header)}
    host = urlparse(args.url).hostname
    if host not in LOOPBACK:
        parser.error(f"--url must point at this machine (127.0.0.1 or localhost), not {host!r}")
    if not (1 <= args.count <= 100_000 and 1 <= args.concurrency <= 256 and 0 < args.seconds <= 600):
        parser.error("--count 1..100000, --concurrency 1..256 and --seconds 0..600 bound the load")
    print(json.dumps(run(args.url, args.count, args.concurrency, args.seconds, args.bad, args.get, headers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
