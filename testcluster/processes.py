"""The cluster's daemons: start each in its own session with its log, record it, stop only what we recorded.

A record names the pid, the exact command line and the process start time: a pid the kernel has
since given to another program never matches, so `down` never signals a stranger.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

# Popen objects of daemons this process started: kept so they are never garbage-collected while
# running (no ResourceWarning), and so a daemon that exits while we live is reaped, not a zombie.
_children: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class Record:
    name: str
    pid: int
    argv: list[str]
    start_time: int  # field 22 of /proc/PID/stat: clock ticks since boot


def _start_time(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may contain spaces and parentheses
    return int(fields[19])


def _state(pid: int) -> str | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return [part.decode(errors="replace") for part in raw.split(b"\0")[:-1]]


def start(pids_dir: Path, logs_dir: Path, name: str, argv: list[str], env: dict[str, str] | None = None) -> Record:
    """Start ARGV as daemon NAME: own session (a Ctrl-C in the terminal does not reach it), log in logs/NAME.log."""
    with (logs_dir / f"{name}.log").open("ab") as log:
        popen = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
    _children[popen.pid] = popen
    # Popen returns once exec has begun, but the kernel sets the new command line a moment later: until
    # then /proc shows none, and alive() would call the daemon dead.
    deadline = time.monotonic() + 5
    while cmdline(popen.pid) != argv and popen.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    # The start time is read right away: the process exists until we reap it, even if it already exited.
    record = Record(name=name, pid=popen.pid, argv=argv, start_time=_start_time(popen.pid) or 0)
    (pids_dir / f"{name}.json").write_text(json.dumps(asdict(record)) + "\n")
    return record


def load(pids_dir: Path, name: str) -> Record | None:
    try:
        return Record(**json.loads((pids_dir / f"{name}.json").read_text()))
    except (OSError, ValueError, TypeError):
        return None


def records(pids_dir: Path) -> list[Record]:
    found = (load(pids_dir, path.stem) for path in sorted(pids_dir.glob("*.json")))
    return [record for record in found if record is not None]


def _reap(pid: int) -> None:
    popen = _children.get(pid)
    if popen is not None:
        popen.poll()


def exit_status(record: Record) -> str:
    """How a daemon this process started ended ("exit code 1", "signal 9"), or "" if unknown."""
    popen = _children.get(record.pid)
    if popen is None or popen.poll() is None:
        return ""
    code = popen.returncode
    return f"signal {-code}" if code < 0 else f"exit code {code}"


def alive(record: Record) -> bool:
    """The recorded process still runs the recorded command (and is not an unreaped zombie)."""
    _reap(record.pid)
    if _state(record.pid) in (None, "Z", "X"):
        return False
    return cmdline(record.pid) == record.argv and _start_time(record.pid) == record.start_time


def stop(pids_dir: Path, name: str, timeout: float = 15) -> str | None:
    """SIGTERM the recorded daemon, SIGKILL after TIMEOUT seconds; forget it. Returns a note if it needed SIGKILL."""
    record = load(pids_dir, name)
    note = None
    if record is not None and alive(record):
        os.kill(record.pid, signal.SIGTERM)
        if not wait_gone(record, timeout):
            note = f"{name} (pid {record.pid}) did not stop in {timeout:.0f}s: killed"
            os.kill(record.pid, signal.SIGKILL)
            wait_gone(record, 5)
    (pids_dir / f"{name}.json").unlink(missing_ok=True)
    return note


def wait_gone(record: Record, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while alive(record):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    _children.pop(record.pid, None)
    return True


def pids_matching(predicate) -> list[int]:
    """Pids of the processes whose command line (a list) satisfies predicate."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            argv = cmdline(int(entry.name))
            if argv and predicate(argv):
                found.append(int(entry.name))
    return found


def kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
