"""The dev loop: `invoke doctor`, `invoke up` (skaffold dev, or tilt up) and `invoke down`."""

from __future__ import annotations

import os
import subprocess

from invoke import Context, Exit, task

from tasks import cluster
from tasks.devloop import loop, minikube, targets
from tasks.devloop.diagnosis import report
from tasks.paths import ROOT


@task(help={"tilt": "check for tilt instead of skaffold"})
def doctor(c: Context, tilt: bool = False) -> None:
    """Check Docker, kubectl, the local cluster the loop will use, skaffold (or tilt) and the ports."""
    report(tilt)


@task(
    help={
        "tilt": "run `tilt up` instead of `skaffold dev`",
        "offline": "build on the debootstrap base shipyard-base:bookworm (invoke image.base --offline)",
    }
)
def up(c: Context, tilt: bool = False, offline: bool = False) -> None:
    """Find (or start) a local cluster, then the dev loop: skaffold dev (or tilt up)."""
    target, why = targets.find()
    starter = "" if target else targets.starter()
    if starter:
        # First the cluster: the test cluster brings the skaffold and tilt the doctor looks for.
        print(f"up: {why}; starting {starter}", flush=True)
        if starter == "minikube":
            c.run(" ".join(minikube.MINIKUBE_START))
        else:
            cluster.up(c, datastores=True)
    target = report(tilt)  # one line per problem; exits when the loop cannot run
    if target is None:
        raise Exit(f"up: {starter} started, but kubectl does not reach it as a local cluster", code=1)
    argv, env = loop.command(target, tilt, offline)
    print(f"up: {target.kind} ({target.context}): {target.plan}", flush=True)
    print(f"up: {' '.join(argv)} (web on http://127.0.0.1:8000, debugpy on 127.0.0.1:5678)", flush=True)
    os.chdir(ROOT)
    os.execvpe(argv[0], argv, env)


@task(
    help={"tilt": "tear down what tilt up deployed", "stop_cluster": "also stop the cluster (minikube or the test one)"}
)
def down(c: Context, tilt: bool = False, stop_cluster: bool = False) -> None:
    """Delete what the dev loop deployed (and, with --stop-cluster, stop the cluster)."""
    target, why = targets.find()
    if target is None:
        raise Exit(f"down: {why}: nothing to delete", code=1)
    argv, env = loop.delete_command(target, tilt)
    subprocess.run(argv, cwd=ROOT, env=env, check=True)
    if stop_cluster and target.kind == "minikube":
        c.run(f"minikube stop --profile {minikube.PROFILE}")
    elif stop_cluster and target.kind == "harness":
        cluster.down(c)
    print(f"down: removed the dev loop from {target.context}")
