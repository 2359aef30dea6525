"""The dev loop: `invoke doctor`, `invoke up` (skaffold dev, or tilt up) and `invoke down`."""

from __future__ import annotations

import os

from invoke import Context, task

from tasks.devloop.diagnosis import report
from tasks.devloop.minikube import MINIKUBE_START, PROFILE, minikube_docker_env, minikube_running
from tasks.paths import ROOT


@task(help={"tilt": "check for tilt instead of skaffold"})
def doctor(c: Context, tilt: bool = False) -> None:
    """Check Docker, minikube, kubectl and its context, and skaffold (or tilt)."""
    report(tilt)


@task(help={"tilt": "run `tilt up` instead of `skaffold dev`"})
def up(c: Context, tilt: bool = False) -> None:
    """Start minikube if needed, then the dev loop: skaffold dev (or tilt up)."""
    report(tilt)
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
    report(tilt)
    with c.cd(str(ROOT)):
        c.run("tilt down" if tilt else f"skaffold delete --kube-context {PROFILE}")
        if stop_cluster:
            c.run(f"minikube stop --profile {PROFILE}")
    print("down: done")
