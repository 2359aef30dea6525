"""The floor: a cold start of the Django app inside the image (interpreter, imports, setup, WSGI app).

No reload can be faster than this, so edit-to-served reads as a multiple of it. The timing runs
inside the container (a read-only root, uid 10001, the manifest's environment), so `docker run`
itself is not counted. In dev it also times the same start under debugpy (DEBUGPY=1), and the
start inside the running dev pod, whose /app its init container copied: if the copy loses the
files' mtimes, every .pyc is stale and each start compiles the project again.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tasks.bench.stats import distribution
from tasks.bench.testbed import BenchError
from tasks.containers.podrun import RunningPod
from tasks.image.docker_engine import run_in

# Runs in the container: N fresh interpreters each for a bare start, the app, the app under debugpy.
PROBE = """
import importlib.util, json, subprocess, sys, time
APP = "import django; django.setup(); from django.core.wsgi import get_wsgi_application; get_wsgi_application()"
def timed(*argv):
    started = time.perf_counter()
    subprocess.run([sys.executable, *argv], check=True, capture_output=True)
    return time.perf_counter() - started
n = int(sys.argv[1])
out = {"python": [timed("-c", "pass") for _ in range(n)], "app": [timed("-c", APP) for _ in range(n)]}
if importlib.util.find_spec("debugpy"):
    out["app_under_debugpy"] = [timed("-m", "debugpy", "--listen", "127.0.0.1:0", "-c", APP) for _ in range(n)]
print(json.dumps(out))
"""


def cold_start(image: str, env: dict[str, str], repeats: int) -> dict[str, Any]:
    """p50/p95/max of each kind of start, in seconds, measured in a fresh container of `image`."""
    argv = ("python", "-c", PROBE, str(repeats))
    return _parse(run_in(image, *argv, env=env, user="10001:10001", read_only=True, timeout=300), image)


def cold_start_in_pod(running: RunningPod, repeats: int) -> dict[str, Any]:
    """The same, inside a running pod: in dev, with /app as its init container seeded it."""
    return _parse(running.exec("python", "-c", PROBE, str(repeats)), running.container_name())


def _parse(result: subprocess.CompletedProcess, where: str) -> dict[str, Any]:
    out, err = (s.decode(errors="replace") if isinstance(s, bytes) else s for s in (result.stdout, result.stderr))
    if result.returncode != 0:
        raise BenchError(f"the cold-start probe failed in {where}: {(err.strip().splitlines() or ['no output'])[-1]}")
    samples: dict[str, list[float]] = json.loads(out.strip().splitlines()[-1])
    return {kind: distribution(values) for kind, values in samples.items()}
