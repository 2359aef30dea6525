"""The dev loop: `invoke doctor`, `invoke up` (skaffold dev, or tilt up) and `invoke down`."""

from __future__ import annotations

import os
import subprocess

from invoke import Context, task
from invoke.exceptions import Exit

from tasks.doctor import diagnose
from tasks.paths import ROOT

PROFILE = "minikube"
# NetworkPolicies are enforced only with a CNI that implements them: dev should fail where prod would.
MINIKUBE_START = ["minikube", "start", "--profile", PROFILE, "--cni", "calico", "--addons", "metrics-server"]


def _report(tilt: bool) -> None:
    """Print the doctor's lines; exit non-zero when the loop cannot run."""
    findings = diagnose(tilt=tilt)
    for finding in findings:
        print(finding.line())
    failed = [f.tool for f in findings if not f.ok]
    if failed:
        raise Exit(
            f"doctor: the dev loop cannot run until {', '.join(failed)} {'is' if len(failed) == 1 else 'are'} fixed",
            code=1,
        )
    print("doctor: ready for the dev loop")


def minikube_running() -> bool:
    result = subprocess.run(
        ["minikube", "status", "--profile", PROFILE, "--format", "{{.Host}}"], capture_output=True, text=True
    )
    return result.returncode == 0 and result.stdout.strip() == "Running"


def minikube_docker_env() -> dict[str, str]:
    """DOCKER_HOST and friends for minikube's engine, so images are built where pods run."""
    out = subprocess.run(
        ["minikube", "docker-env", "--profile", PROFILE, "--shell", "none"], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


@task(help={"tilt": "check for tilt instead of skaffold"})
def doctor(c: Context, tilt: bool = False) -> None:
    """Check Docker, minikube, kubectl and its context, and skaffold (or tilt)."""
    _report(tilt)


@task(help={"tilt": "run `tilt up` instead of `skaffold dev`"})
def up(c: Context, tilt: bool = False) -> None:
    """Start minikube if needed, then the dev loop: skaffold dev (or tilt up)."""
    _report(tilt)
    if not minikube_running():
        print(f"up: starting minikube: {' '.join(MINIKUBE_START)}", flush=True)
        c.run(" ".join(MINIKUBE_START))
    env = {**os.environ, **minikube_docker_env()}  # build into minikube's Docker: nothing is pushed
    argv = ["tilt", "up"] if tilt else ["skaffold", "dev", "--kube-context", PROFILE, "--port-forward"]
    print(f"up: {' '.join(argv)} (web on http://127.0.0.1:8000, debugpy on 127.0.0.1:5678)", flush=True)
    os.chdir(ROOT)
    os.execvpe(argv[0], argv, env)


@task(help={"tilt": "tear down what tilt up deployed", "stop_cluster": "also stop minikube"})
def down(c: Context, tilt: bool = False, stop_cluster: bool = False) -> None:
    """Delete what the dev loop deployed (and, with --stop-cluster, stop minikube)."""
    _report(tilt)
    with c.cd(str(ROOT)):
        c.run("tilt down" if tilt else f"skaffold delete --kube-context {PROFILE}")
        if stop_cluster:
            c.run(f"minikube stop --profile {PROFILE}")
    print("down: done")
