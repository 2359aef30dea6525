"""Run skaffold dev or tilt up in the foreground, and say when the first page was served and how long each
phase took: build (until the first pod of the new app image exists), deploy (until a new web pod's
containers run) and served (until web answered through the tool's port-forward).

The tool keeps the terminal: it inherits stdin, stdout and stderr, and Ctrl+C reaches it as it would
without us (one process group). The phases are seen from outside, by polling the cluster every
half second, so both tools are timed the same way.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from tasks import ports
from tasks.devloop.phases import Phases
from tasks.devloop.targets import Target
from tasks.paths import tool

WEB_URL = f"{ports.WEB_URL}/"
APP_IMAGE = "shipyard-app"
SELECTOR = "app.kubernetes.io/part-of=shipyard"
POLL = 0.5
Url = Callable[[], str | None]  # web's address once known (where skaffold chose to forward it)
WATCH_FOR = 30 * 60  # a loop that serves nothing for this long (a broken build Tilt waits on) is not polled on


def _served(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _created(pod: dict) -> float:
    stamp = pod["metadata"].get("creationTimestamp", "1970-01-01T00:00:00Z")
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def _running(pod: dict) -> bool:
    """Every container runs (init containers done). Not Ready: Tilt forwards to a pod before its probe passes."""
    statuses = pod.get("status", {}).get("containerStatuses", [])
    return bool(statuses) and all("running" in s.get("state", {}) for s in statuses)


class Watch:
    """Polls the loop's pods and web's forward; prints the served line once, with every phase."""

    def __init__(self, target: Target, env: dict[str, str], phases: Phases, url: str | Url = WEB_URL) -> None:
        scope = ["--namespace", target.namespace] if target.namespace else []
        self.argv = [tool("kubectl"), "--context", target.context, *scope, "get", "pods", "-l", SELECTOR, "-o", "json"]
        self.env, self.phases, self.url = env, phases, url
        self.started = time.time()
        self.built: float | None = None
        self.deployed: float | None = None
        self.stop = threading.Event()

    def _pods(self) -> list[dict]:
        try:
            result = subprocess.run(self.argv, env=self.env, capture_output=True, text=True, timeout=10)
            return json.loads(result.stdout).get("items", []) if result.returncode == 0 else []
        except (subprocess.TimeoutExpired, json.JSONDecodeError, OSError):
            return []

    def _look(self) -> None:
        # Pods from an earlier run (Tilt leaves them at Ctrl+C) are not this run's build or deploy.
        new = [pod for pod in self._pods() if _created(pod) >= int(self.started)]
        now = time.time()
        if self.built is None and any(
            APP_IMAGE in c.get("image", "") for pod in new for c in pod["spec"].get("containers", [])
        ):
            self.built = now
        if (
            self.built is not None
            and self.deployed is None
            and any(
                pod["metadata"].get("labels", {}).get("app.kubernetes.io/component") == "web" and _running(pod)
                for pod in new
            )
        ):
            self.deployed = now

    def run(self) -> None:
        while not self.stop.is_set() and time.time() - self.started < WATCH_FOR:
            if self.deployed is None:
                self._look()
            url = self.url() if callable(self.url) else self.url
            if url and _served(url):
                served = time.time()
                if self.deployed is None:
                    self._look()  # web may have turned Ready since the last look (a slow poll under load)
                for phase, at in (("build", self.built), ("deploy", self.deployed)):
                    if at is not None:
                        self.phases.done(phase, at)
                self.phases.done("served", served)
                # One write, the newline in it: the tool writes to the same terminal, and under PYTHONUNBUFFERED
                # print's two writes (the text, then its end) let a line of Tilt's in between (seen in a CI run).
                sys.stdout.write(
                    f"up: served {url} {self.phases.total():.1f}s after the command: {self.phases.line()}\n"
                )
                sys.stdout.flush()
                return
            self.stop.wait(POLL)


def run(
    argv: list[str], env: dict[str, str], cwd: Path, target: Target, phases: Phases, url: str | Url = WEB_URL
) -> int:
    """Run the loop until it ends; its exit code. Ctrl+C ends it as the tool ends itself (skaffold cleans up)."""
    watch = Watch(target, env, phases, url)
    child = subprocess.Popen(argv, cwd=cwd, env=env)
    # SIGTERM to us (a service manager, a test) goes to the tool, which then ends as on Ctrl+C.
    signal.signal(signal.SIGTERM, lambda *_: child.send_signal(signal.SIGINT))
    watcher = threading.Thread(target=watch.run, daemon=True)
    watcher.start()
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue  # the terminal sent SIGINT to the tool too: wait while it cleans up
    finally:
        watch.stop.set()
        watcher.join(timeout=5)
