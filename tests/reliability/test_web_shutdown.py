"""gunicorn gets SIGTERM with a request in flight: the request completes, then the port closes."""

import json
import signal
import socket
import subprocess
import time

import pytest

from tests.support.processes import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def start_slow_request(port: int, body: bytes) -> socket.socket:
    """Send the headers and half the body, leaving the request in flight."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = (
        "POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body[: len(body) // 2])
    return sock


def accept_queue(port: int) -> int:
    """Connections the kernel completed on PORT's listening socket that no process has accepted yet."""
    listening = subprocess.run(["ss", "-Hltn", f"sport = :{port}"], capture_output=True, text=True, check=True)
    return int(listening.stdout.split()[1])  # State Recv-Q ...: a listener's Recv-Q is its accept queue


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True


def test_in_flight_request_completes_and_new_connections_are_refused_after_the_drain(stack, record):
    web, url = stack.start_web()
    port = int(url.rsplit(":", 1)[1])
    body = json.dumps({"text": "in flight during shutdown"}).encode()
    sock = start_slow_request(port, body)
    wait_until("a gunicorn worker to accept the request", lambda: accept_queue(port) == 0, 10, 0.02)

    web.signal(signal.SIGTERM)
    signalled = time.monotonic()
    # The rest of the body only once the shutdown has begun: the request is in flight through the drain.
    wait_until("gunicorn to begin its shutdown", lambda: "Handling signal: term" in web.log(), 10, 0.02)
    sock.sendall(body[len(body) // 2 :])
    response = sock.recv(65536).decode()
    sock.close()
    assert response.startswith("HTTP/1.1 202"), response

    assert web.wait(timeout=25) == 0
    drained = time.monotonic() - signalled
    wait_until("the port to refuse connections", lambda: refused(port), 5)
    assert stack.job_rows()[0][1] in ("pending", "done")
    record(
        "SIGTERM to gunicorn with a request in flight",
        "the request got 202; exit 0; then connections refused",
        in_flight=1,
        completed=1,
        drain_ms=round(drained * 1000),
    )
