"""Bounded load against web's Service, run inside the cluster (in a pod of the app's image, standard library only).

A fixed number of requests, spread evenly over a fixed time by a few threads, each on a new connection (so
the Service picks a pod per request, as it does for clients that come and go). It stops by itself: after the
last request, or at the deadline. It prints `started` after its first answer, so a test can wait for the load
to be running before it injects a fault, and ends with one line `RESULT {json}`: sent, ok, failed, the
failures by cause, how many answers carried --marker, and, with --submit, the ids of the accepted jobs.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

# As the Ingress sends them: the Service's name as the host, TLS already ended.
HEADERS = {"Host": "web", "X-Forwarded-Proto": "https", "Connection": "close"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--path", default="/")
    parser.add_argument("--submit", metavar="TEXT", help="POST jobs to /api/jobs instead of GETting --path")
    parser.add_argument("--marker", default="", help="count the answers whose body contains this")
    args = parser.parse_args()

    lock = threading.Lock()
    counts: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    accepted: list[str] = []
    failed_at: list[float] = []  # seconds since the start, to tell when a fault hurt
    first = threading.Event()
    start = time.monotonic()
    deadline = start + args.seconds + 30

    def one(i: int) -> None:
        time.sleep(max(0.0, start + i * args.seconds / args.requests - time.monotonic()))
        if time.monotonic() > deadline:
            outcome, body = "deadline", b""
        else:
            outcome, body = request(i, args)
        with lock:
            counts["sent"] += 1
            if outcome in ("200", "202"):
                counts["ok"] += 1
                counts["marked"] += bool(args.marker) and args.marker.encode() in body
                if args.submit:
                    accepted.append(json.loads(body)["id"])
            else:
                counts["failed"] += 1
                failures[outcome] += 1
                failed_at.append(round(time.monotonic() - start, 1))
        if not first.is_set():
            first.set()
            print("started", flush=True)

    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(one, range(args.requests)))
    result = {
        "sent": counts["sent"],
        "ok": counts["ok"],
        "failed": counts["failed"],
        "marked": counts["marked"],
        "failures": dict(failures),
        "failed_at": failed_at[:3] + failed_at[-3:],
        "accepted": accepted,
        "seconds": round(time.monotonic() - start, 1),
    }
    print("RESULT " + json.dumps(result), flush=True)
    return 0


def request(i: int, args: argparse.Namespace) -> tuple[str, bytes]:
    """(HTTP status or the exception's name, body) of one request on a new connection."""
    connection = http.client.HTTPConnection("web", 80, timeout=10)
    try:
        if args.submit:
            body = json.dumps({"text": f"{args.submit} {i}"})
            connection.request("POST", "/api/jobs", body, {**HEADERS, "Content-Type": "application/json"})
        else:
            connection.request("GET", args.path, headers=HEADERS)
        response = connection.getresponse()
        return str(response.status), response.read()
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__, b""
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main())
