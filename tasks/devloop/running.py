"""A long-running dev-loop tool (skaffold dev, tilt up, kubectl port-forward) whose output lines are
kept with the moment each arrived, so a bench can tell when the tool said what."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path


class Running:
    """ARGV started in its own session; every output line timestamped (time.monotonic) and copied to LOG."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str], log: Path):
        self.log = log
        self.lines: list[tuple[float, str]] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        with open(self.log, "wb") as copy:
            for raw in self.process.stdout:
                moment = time.monotonic()
                copy.write(raw)
                copy.flush()
                with self._lock:
                    self.lines.append((moment, raw.decode(errors="replace").rstrip("\n")))

    def output(self) -> str:
        with self._lock:
            return "\n".join(line for _, line in self.lines)

    def first(self, text: str, after: float, prefix: str = "") -> float | None:
        """When the first line after AFTER that starts with PREFIX and contains TEXT arrived."""
        with self._lock:
            return next((m for m, line in self.lines if m >= after and line.startswith(prefix) and text in line), None)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 120) -> None:
        """SIGINT first, as Ctrl-C: skaffold and Tilt clean up what they deployed."""
        if self.alive():
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._reader.join(timeout=10)
