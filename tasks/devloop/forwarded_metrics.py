"""`invoke metrics`: the dev loop's metrics, each workload's metrics port forwarded to loopback, then
shown once or scraped by a local Prometheus (Debian's package) with its web UI."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request

from tasks import ports
from tasks.devloop import prometheus
from tasks.devloop.running import Running
from tasks.devloop.targets import Target
from tasks.paths import ROOT, tool

WORKLOADS = ("web", "worker", "beat")
METRICS_PORT = ports.METRICS  # the containers' `metrics` port (k8s/base)
STATE = ROOT / ".state" / "metrics"
SCRAPE_SECONDS = 5


class Unreachable(Exception):
    """A workload's metrics port cannot be forwarded; the message is one line."""


def forward(target: Target, namespace: str, workload: str) -> tuple[Running, str]:
    """kubectl port-forward to the workload's metrics port on a loopback port kubectl picks: (it, host:port)."""
    where = ["-n", namespace] if namespace else []
    argv = [
        tool("kubectl"),
        "--context",
        target.context,
        *where,
        "port-forward",
        f"deployment/{workload}",
        f":{METRICS_PORT}",
        "--address",
        "127.0.0.1",
    ]
    STATE.mkdir(parents=True, exist_ok=True)
    running = Running(argv, ROOT, {**os.environ, **target.env}, STATE / f"forward-{workload}.log")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and running.alive():
        # "Forwarding from 127.0.0.1:41231 -> 9100"
        line = next((x for x in running.output().splitlines() if x.startswith("Forwarding from 127.0.0.1:")), "")
        if line:
            return running, line.split()[2]
        time.sleep(0.1)
    running.stop(timeout=5)
    said = running.output().strip().splitlines()
    why = said[-1] if said else "kubectl said nothing within 30 s"
    raise Unreachable(f"cannot forward deployment/{workload}'s metrics port: {why}; is the dev loop up (invoke up)?")


def forward_all(target: Target, namespace: str) -> dict[str, tuple[Running, str]]:
    forwards: dict[str, tuple[Running, str]] = {}
    try:
        for workload in WORKLOADS:
            forwards[workload] = forward(target, namespace, workload)
    except Unreachable:
        stop(forwards)
        raise
    return forwards


def show(forwards: dict[str, tuple[Running, str]]) -> str:
    """Every workload's metrics as it serves them now, each under a heading."""
    parts = []
    for workload, (_, address) in forwards.items():
        with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
            heading = f"# ---- {workload} (deployment/{workload}, port {METRICS_PORT}) ----"
            parts.append(f"{heading}\n{response.read().decode()}")
    return "\n".join(parts)


def run_prometheus(forwards: dict[str, tuple[Running, str]], port: int) -> subprocess.Popen:
    """A Prometheus scraping every forwarded port, ready; its data under .state/metrics (fresh each run)."""
    targets = {workload: address for workload, (_, address) in forwards.items()}
    data = STATE / "data"
    shutil.rmtree(data, ignore_errors=True)
    config = STATE / "prometheus.yml"
    config.write_text(prometheus.config(targets, SCRAPE_SECONDS))
    server = subprocess.Popen(prometheus.argv(str(config), str(data), f"127.0.0.1:{port}"), cwd=STATE)
    deadline = time.monotonic() + 30
    while server.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/-/ready", timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise Unreachable(f"prometheus did not start (exit {server.wait()}; its log is above)")


def stop(forwards: dict[str, tuple[Running, str]]) -> None:
    for running, _ in forwards.values():
        running.stop(timeout=5)


def ensure_free(port: int) -> None:
    if not 0 < port < 65536:
        raise Unreachable(f"--port {port} is not a port: give one from 1 to 65535")
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as error:
            raise Unreachable(f"port {port} is taken ({error.strerror}): free it or pass --port") from None
