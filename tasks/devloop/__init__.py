"""The dev loop: `invoke doctor`, `invoke up` (skaffold dev, or tilt up), `invoke metrics` and `invoke down`."""

from __future__ import annotations

import os
import signal
import subprocess

from invoke import Context, Exit, task

from tasks import cluster
from tasks.devloop import forwarded_metrics as dev_metrics
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


@task(
    help={
        "show": "print each workload's metrics once and exit, instead of running Prometheus",
        "namespace": "where the dev loop deployed (default: the context's own namespace)",
        "port": "Prometheus's web UI port on 127.0.0.1 (default 9090)",
    }
)
def metrics(c: Context, show: bool = False, namespace: str = "", port: int = 9090) -> None:
    """Look at the dev loop's metrics: a local Prometheus scraping web, worker and beat (or --show them)."""
    try:
        if not show:
            dev_metrics.ensure_free(port)
            dev_metrics.prometheus.binary()
        target, why = targets.find()
        if target is None:
            raise dev_metrics.Unreachable(f"{why}; start the dev loop first (invoke up)")
        forwards = dev_metrics.forward_all(target, namespace)
    except (dev_metrics.Unreachable, FileNotFoundError) as error:
        raise Exit(f"metrics: {error}", code=1) from None
    try:
        if show:
            print(dev_metrics.show(forwards), flush=True)
            return
        try:
            server = dev_metrics.run_prometheus(forwards, port)
        except dev_metrics.Unreachable as error:
            raise Exit(f"metrics: {error}", code=1) from None
        scraped = ", ".join(f"{w} ({address})" for w, (_, address) in forwards.items())
        print(f"metrics: Prometheus on http://127.0.0.1:{port} scraping {scraped}; Ctrl+C stops it", flush=True)
        print("metrics: try  sum by (view, status) (rate(shipyard_http_requests_total[1m]))", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: server.terminate())
        try:
            code = server.wait()
        except KeyboardInterrupt:
            server.terminate()
            code = server.wait()
        if code not in (0, -signal.SIGTERM):
            raise Exit(f"metrics: prometheus exited with {code} (its log is above)", code=1)
    finally:
        dev_metrics.stop(forwards)
