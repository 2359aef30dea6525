"""What the dev-loop tests share: a scratch copy of the project, long-running tools, HTTP checks.

skaffold and Tilt run in a scratch copy of the tracked files (they watch the folder they run
in, so a test's edits never touch the checkout itself). `../shared` is linked beside the copy
so paths that name it (the skaffold schema, the kube kit) resolve as in the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tasks.cluster.client import Cluster, env, kubectl
from tasks.paths import ROOT
from tests.support.processes import free_port, wait_until


def scratch_copy(parent: Path) -> Path:
    """The tracked files of this checkout (as they are in the working tree), in parent/main."""
    copy = parent / "main"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    # A clone has history: skaffold tags images by commit (a dirty tree adds a suffix).
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost"]
    subprocess.run([*git, "init", "-q"], cwd=copy, check=True)
    subprocess.run([*git, "add", "-A"], cwd=copy, check=True)
    subprocess.run([*git, "commit", "-qm", "scratch copy"], cwd=copy, check=True)
    (copy / ".venv").symlink_to(ROOT / ".venv")  # Tilt's unit-tests resource runs .venv/bin/invoke
    (parent / "shared").symlink_to(ROOT.parent / "shared")
    return copy


def get_json(url: str, timeout: float = 2) -> Any:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return json.loads(response.read())
    except (OSError, urllib.error.URLError, ValueError):
        return None


def post_job(base: str, text: str) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{base}/api/jobs", data=json.dumps({"text": text}).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 202
        return json.loads(response.read())


def job_done(base: str, job_id: str, timeout: float = 60) -> dict[str, Any]:
    return wait_until(
        f"job {job_id} to be done",
        lambda: (job := get_json(f"{base}/api/jobs/{job_id}")) and job["status"] == "done" and job,
        timeout,
    )


def pods(cluster: Cluster, ns: str, component: str) -> list[dict[str, Any]]:
    out = kubectl(cluster, "-n", ns, "get", "pods", "-l", f"app.kubernetes.io/component={component}", "-o", "json")
    # Only the workload's own pods (owned by its ReplicaSet or Job), never a test's probe pods.
    items = json.loads(out.stdout)["items"]
    return [p for p in items if p["metadata"].get("ownerReferences") and not p["metadata"].get("deletionTimestamp")]


class Background:
    """A long-running tool (skaffold dev, tilt up, kubectl port-forward) with its output in a file."""

    def __init__(self, argv: list[str], cwd: Path, cluster: Cluster, log: Path, environ: dict[str, str] | None = None):
        self.log = log
        self.handle = open(log, "wb")  # noqa: SIM115 - the process writes to it until stop()
        self.process = subprocess.Popen(
            argv, cwd=cwd, env=environ or env(cluster), stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")

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
        self.handle.close()


def port_forward(cluster: Cluster, ns: str, target: str, remote: int, log: Path) -> tuple[Background, str]:
    """kubectl port-forward TARGET to a free loopback port; (the process, http://127.0.0.1:PORT)."""
    local = free_port()
    forward = Background(
        [*_kubectl_argv(cluster), "-n", ns, "port-forward", target, f"{local}:{remote}", "--address", "127.0.0.1"],
        ROOT, cluster, log,
    )  # fmt: skip
    wait_until(f"the port-forward to {target}", lambda: "Forwarding from" in forward.output(), 30)
    return forward, f"http://127.0.0.1:{local}"


def _kubectl_argv(cluster: Cluster) -> list[str]:
    from tasks.cluster.client import kubectl_argv

    return kubectl_argv(cluster)
