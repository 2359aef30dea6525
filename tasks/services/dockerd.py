"""dockerd on this machine: started for the tests and the loop, stopped by the quick start's cold machine.

dockerd records its pid in /var/run/docker.pid and refuses to start while that pid runs ("pid file found").
It stops answering on its socket well before it exits (its own containerd goes last), so an engine that does
not answer may still be on its way out: a start waits for it, and a stop is over only once it has exited.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from invoke.exceptions import Exit

from tasks.services.come_up import wait_up
from tasks.services.reach import docker_running

PID_FILE = Path("/var/run/docker.pid")
SECONDS = 60  # to come up, and to exit after SIGTERM


def recorded_pid() -> int | None:
    try:
        return int(PID_FILE.read_text().strip())
    except (OSError, ValueError):
        return None


def running(pid: int) -> bool:
    """The process exists and has not exited (a zombie has: only its parent has yet to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def start(log_path: Path) -> None:
    """Start dockerd unless the engine answers; fail in one line, at once, if it exits before it answers."""
    if docker_running():
        return
    if shutil.which("dockerd") is None:
        raise Exit("the Docker engine is not installed: run ./bin/setup (apt-get install docker.io)", code=1)
    previous = recorded_pid()
    if previous is not None and not wait_gone(previous, SECONDS):
        raise Exit(
            f"dockerd: {PID_FILE} names pid {previous}, which runs but the engine does not answer: "
            f"stop it (kill {previous}) and run this again",
            code=1,
        )
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:  # dockerd keeps its own copy of the descriptor
        process = subprocess.Popen(["dockerd"], stdout=log, stderr=log, start_new_session=True)

    def exited() -> str | None:
        if process.poll() is None:
            return None
        return f"dockerd exited with {process.returncode}: {last_line(log_path)} (its log: {log_path})"

    wait_up("dockerd", docker_running, SECONDS, str(log_path), exited)


def stop() -> int | None:
    """SIGTERM dockerd and wait for it to exit; its pid, or None if none was running."""
    pid = recorded_pid()
    if pid is None or not running(pid):
        return None
    os.kill(pid, signal.SIGTERM)
    if not wait_gone(pid, SECONDS):
        raise TimeoutError(f"dockerd (pid {pid}) did not exit within {SECONDS} s of SIGTERM")
    return pid


def last_line(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "(its log is empty)"
