"""`./bin/up` as a person runs it from a fresh clone, until web is served: the quick-start tests' and the bench's.

A run starts `./bin/up` (or `./bin/up --tilt`) in its own process group, waits for its "up: served" line,
then Ctrl+C (SIGINT to the group, as a terminal sends it). `cold_machine` first makes this machine what a
newcomer's is: the test cluster down, the Docker engine stopped (where the kube kit runs the cluster, so
nothing else needs it), and no image under the base tag. The base that was there is put back afterwards,
so later builds keep their cache.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tasks.cluster import client, lifecycle, state
from tasks.cluster.layout import current
from tasks.cluster.progress import Log
from tasks.devloop import phases as up_phases
from tasks.devloop.running import Running
from tasks.devloop.scratch import scratch_copy
from tasks.image import debian_base
from tasks.image.docker_engine import docker, image_exists, image_id
from tasks.services import dockerd
from tasks.services.daemons import start_docker
from tasks.services.reach import docker_running

SERVED_WITHIN = 1800  # a cold first run builds the base, the datastores and the app image: minutes, not this


class NotServed(Exception):
    """./bin/up ended, or never said it served the page."""


@dataclass
class Served:
    url: str
    seconds: float  # from bin/up's start, as it says
    phases: dict[str, float | None]


def start(checkout: Path, tilt: bool, log_file: Path, environ: dict[str, str] | None = None) -> Running:
    argv = ["./bin/up", *(["--tilt"] if tilt else [])]
    return Running(argv, checkout, dict(os.environ if environ is None else environ), log_file)


def served(run: Running, timeout: float = SERVED_WITHIN) -> Served:
    """Wait for the run's served line; NotServed with its last lines if it ends or times out first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = up_phases.parse(run.output())
        if found is not None:
            return Served(*found)
        if not run.alive():
            raise NotServed(f"./bin/up exited with {run.process.returncode} before serving:\n{run.output()[-3000:]}")
        time.sleep(0.5)
    raise NotServed(f"./bin/up did not serve within {timeout:.0f}s:\n{run.output()[-3000:]}")


def interrupt(run: Running, timeout: float = 180) -> int:
    """Ctrl+C, as a terminal sends it to the foreground group; the exit code once the loop has cleaned up."""
    if run.alive():
        os.killpg(run.process.pid, signal.SIGINT)
    try:
        code = run.process.wait(timeout)
    finally:
        run.stop()  # SIGKILL for a group that ignored Ctrl+C
    return code


def stop_engine(log: Log) -> bool:
    """Stop dockerd (True), where the kube kit runs the test cluster; kind's nodes would go with it (False)."""
    if lifecycle.choose(current(), "auto") != state.BINARIES or not docker_running():
        return False
    pid = dockerd.stop()
    log(f"stopped dockerd (pid {pid})")
    return True


@contextmanager
def cold_machine(log: Log) -> Iterator[None]:
    """The test cluster down, the engine stopped, and no image under the base tag; afterwards the base image
    that was there is under its tag again. The cluster ./bin/up started stays up."""
    if client.running() is not None:
        lifecycle.down(log=log)
    spare = f"{debian_base.BASE_TAG}-before-first-run"
    kept = image_exists(debian_base.BASE_TAG)
    if kept:
        docker("tag", debian_base.BASE_TAG, spare)
        docker("rmi", debian_base.BASE_TAG)  # the image stays, under the spare tag
        log(f"untagged {debian_base.BASE_TAG}")
    stop_engine(log)
    try:
        yield
    finally:
        if kept:
            start_docker()  # a run that failed early leaves the engine stopped: the tag needs it
            rebuilt = image_id(debian_base.BASE_TAG) if image_exists(debian_base.BASE_TAG) else None
            docker("tag", spare, debian_base.BASE_TAG)
            docker("rmi", spare)
            if rebuilt and rebuilt != image_id(debian_base.BASE_TAG):
                subprocess.run(["docker", "rmi", rebuilt], capture_output=True, check=False)  # in use: kept
            log(f"{debian_base.BASE_TAG} is the image it was before the run")


def _timed(clone: Path, tilt: bool, name: str, log: Log) -> dict[str, Any]:
    run = start(clone, tilt, clone.parent / f"up-{name}.log")
    try:
        result = served(run)
    finally:
        interrupt(run)
    tool = "tilt" if tilt else "skaffold"
    log(f"  {tool}, {name}: served {result.seconds:.1f}s after ./bin/up{' --tilt' if tilt else ''}")
    return {"seconds": result.seconds, "phases": result.phases}


def measure(work: Path, log: Log) -> dict[str, dict[str, dict[str, Any]]]:
    """Through each tool, from its own fresh clone: a cold ./bin/up (cluster down, engine stopped, no base), then
    a warm one on the same machine. {tool: {"cold"|"warm": {"seconds", "phases"}}}."""
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for tool in ("skaffold", "tilt"):
        tilt = tool == "tilt"
        clone = scratch_copy(work / tool, venv=False)
        with cold_machine(log):
            cold = _timed(clone, tilt, "cold", log)
        warm = _timed(clone, tilt, "warm", log)
        subprocess.run(
            [".venv/bin/invoke", "down", *(["--tilt"] if tilt else [])],
            cwd=clone,
            capture_output=True,
            timeout=300,
            check=False,
        )
        results[tool] = {"cold": cold, "warm": warm}
    return results
