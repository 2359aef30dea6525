"""Beat hangs (SIGSTOP): its liveness probe, run as the prod manifest says, fails in time; SIGCONT heals it."""

import signal
import subprocess
import time
from pathlib import Path

import pytest

from ops.heartbeat_probe import INTERVAL_SECONDS, MAX_AGE_SECONDS
from tasks.paths import APP
from tests.k8s.manifests import rendered, template
from tests.support.processes import BIN, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.k8s, pytest.mark.slow]


def liveness_probe() -> dict:
    return template(rendered("prod"), "beat").container("beat")["livenessProbe"]


def run_probe(command: list[str], heartbeat_dir: str, timeout: float) -> subprocess.CompletedProcess:
    """The manifest's exec command on this host: /app in the image is the checkout's app/."""
    argv = [str(APP / arg.removeprefix("/app/")) if arg.startswith("/app/") else arg for arg in command]
    env = {"CELERY_HEARTBEAT_DIR": heartbeat_dir, "PATH": str(BIN)}
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)


def advances(path: Path, timeout: float) -> None:
    before = path.stat().st_mtime
    wait_until(f"{path.name} to be touched again", lambda: path.stat().st_mtime > before, timeout)


def test_a_hung_beat_fails_its_liveness_probe_within_the_window_and_passes_once_resumed(rstack, record):
    spec = liveness_probe()
    command, period, threshold = spec["exec"]["command"], spec["periodSeconds"], spec["failureThreshold"]
    heartbeat_dir = rstack.env["CELERY_HEARTBEAT_DIR"]

    def probe() -> subprocess.CompletedProcess:
        return run_probe(command, heartbeat_dir, timeout=spec["timeoutSeconds"])

    beat = rstack.start_beat()
    wait_until("beat's probe to pass", lambda: probe().returncode == 0, 30, interval=0.5)
    # Idle (the sweep is first due after 60 s), beat still touches its file on every pass of its loop.
    heartbeat = Path(heartbeat_dir) / "celery-beat-heartbeat"
    advances(heartbeat, INTERVAL_SECONDS + 2)
    advances(heartbeat, INTERVAL_SECONDS + 2)
    assert "Sending due task" not in beat.log()

    beat.signal(signal.SIGSTOP)
    stopped = time.monotonic()
    probes: list[tuple[float, subprocess.CompletedProcess]] = []
    try:
        # The kubelet's view: a probe every `period` s; `threshold` failures in a row restart the container.
        failures = 0
        while failures < threshold:
            at = len(probes) * period
            assert at <= MAX_AGE_SECONDS + threshold * period, f"the kubelet would never restart beat: {probes}"
            time.sleep(max(0.0, stopped + at - time.monotonic()))
            result = probe()
            probes.append((at, result))
            failures = failures + 1 if result.returncode else 0
    finally:
        beat.signal(signal.SIGCONT)
    first_failure, failed = probes[-threshold]
    restart_at = probes[-1][0]
    assert probes[0][1].returncode == 0  # a pause shorter than the age limit is no hang
    assert MAX_AGE_SECONDS - INTERVAL_SECONDS <= first_failure <= MAX_AGE_SECONDS + period
    assert failed.returncode == 1
    assert failed.stderr.count("\n") == 1 and "beat heartbeat is" in failed.stderr, failed.stderr

    resumed = time.monotonic()
    wait_until("beat's probe to pass again", lambda: probe().returncode == 0, INTERVAL_SECONDS + 2, interval=0.2)
    healed_ms = round((time.monotonic() - resumed) * 1000)
    assert beat.popen.poll() is None
    record(
        "SIGSTOP to beat (hung, not exited), then SIGCONT",
        f"its liveness probe (every {period} s, {threshold} failures) fails in time; passes again after SIGCONT",
        first_failure_s=first_failure,
        restart_by_s=restart_at,
        passes_again_ms=healed_ms,
    )
