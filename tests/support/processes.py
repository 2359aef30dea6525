"""Run the app's real processes (manage.py, gunicorn, celery) from the checkout, as the image would."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tasks.paths import APP
from tasks.services.reach import free_port  # noqa: F401 - the tests' one way to pick a port

BIN = Path(sys.executable).parent


def clean_env(overrides: dict[str, str | None]) -> dict[str, str]:
    """The parent environment minus pytest's, plus the given settings (None removes one)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_SETTINGS"))}
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    env["PYTHONUNBUFFERED"] = "1"
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(env: dict[str, str | None], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=APP,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def manage_many(
    cases: dict[str, tuple[dict[str, str | None], tuple[str, ...]]],
) -> dict[str, subprocess.CompletedProcess]:
    """Each case's manage.py run, as `manage` runs one, but forked from one warm interpreter side by side
    (tests/support/warm_manage.py): a Django start-up each, without importing the libraries each time."""
    runner = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("warm_manage.py"))],
        cwd=APP,
        env=clean_env({}),
        input=json.dumps({name: [clean_env(env), args] for name, (env, args) in cases.items()}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert runner.returncode == 0, runner.stderr
    return {
        name: subprocess.CompletedProcess(["manage.py", *cases[name][1]], code, stdout, stderr)
        for name, (code, stdout, stderr) in json.loads(runner.stdout).items()
    }


class Process:
    """A long-running child with its output in a log file, stopped for sure at the end."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path, cwd: Path = APP):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            argv, cwd=cwd, env=clean_env(env), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        self.popen.send_signal(sig)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def stop(self, timeout: float = 20) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        self._log.close()


def wait_until(what: str, condition: Callable[[], object], timeout: float, interval: float = 0.1) -> object:
    """Poll until condition() is truthy; fail naming `what` (and the last value) after `timeout` seconds.

    A condition that takes a while (a kubectl or `docker exec` process: most of a CPU's 0.1 s) sleeps at least
    twice as long as it took, so a wait spends at most a third of its time asking. On two cores the suite is
    bound by CPU, and the polls of `interval` alone started a kubectl every quarter second."""
    deadline = time.monotonic() + timeout
    while True:
        asked = time.monotonic()
        value = condition()
        if value:
            return value
        answered = time.monotonic()
        if answered > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {value!r})")
        time.sleep(max(interval, 2 * (answered - asked)))


def saved_until(
    what: str,
    save: Callable[[], None],
    condition: Callable[[], object],
    timeout: float,
    resave: float = 2.0,
    interval: float = 0.1,
) -> object:
    """save(), then wait for condition(); save again every RESAVE seconds until it holds or TIMEOUT passes.

    A file watcher starts a moment after the process it watches for answers, with no sign of it from outside:
    a save in that moment is missed. Saving again is the condition to wait on, not a guess of the moment."""
    deadline = time.monotonic() + timeout
    while True:
        save()
        try:
            return wait_until(what, condition, max(min(resave, deadline - time.monotonic()), 0), interval)
        except AssertionError:
            if time.monotonic() >= deadline:
                raise


def http_status(url: str, **kwargs) -> int | None:
    import requests  # here: every pytest process imports this module (conftest), few ask a URL

    try:
        return requests.get(url, timeout=2, **kwargs).status_code
    except requests.RequestException:
        return None


def children(pid: int) -> set[int]:
    """PIDs whose parent is `pid` (from /proc, so no ps is needed)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found
