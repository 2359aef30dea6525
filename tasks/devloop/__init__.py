"""The dev loop: `invoke doctor`, `invoke up` (skaffold dev, or tilt up), `invoke metrics` and `invoke down`."""

from __future__ import annotations

import shlex
import signal
import subprocess
import sys

from invoke import Context, Exit, task

from tasks import cluster, ports
from tasks.cluster.progress import Progress
from tasks.devloop import forwarded_metrics as dev_metrics
from tasks.devloop import in_pod, loop, minikube, prepare, supervise, targets
from tasks.devloop.diagnosis import report
from tasks.devloop.phases import Phases
from tasks.image.builds import offline_choice
from tasks.paths import ROOT
from tasks.shared import diagnosis as shared_cluster
from tasks.shared import local_ports, pull_secret, session, settings


@task(
    optional=["namespace"],
    help={
        "tilt": "check for tilt instead of skaffold",
        "offline": "assume no public registry: check the debootstrap base shipyard-base:bookworm",
        "online": "assume a public registry: the build pulls python:3.11-slim-bookworm",
        "namespace": "a running loop's namespace, for its database check; with a registry, a shared cluster's",
        "registry": settings.HELP["registry"],
        "context": settings.HELP["context"],
    },
)
def doctor(
    c: Context,
    tilt: bool = False,
    offline: bool = False,
    online: bool = False,
    namespace: str = "",
    registry: str = "",
    context: str = "",
) -> None:
    """Check the cluster, Docker, the registry route, the base and datastore images, skaffold (or tilt), the ports;
    and, when a loop runs, whether its database has migrations this checkout lacks. On a shared cluster
    (--namespace with a registry), each step `up --namespace` takes."""
    if settings.shared_wanted(namespace, registry):
        shared = settings.resolve(namespace, registry, context)
        shared_cluster.report(shared, tilt, offline_choice(offline, online), database=True)
    else:
        report(tilt, offline_choice(offline, online), namespace if isinstance(namespace, str) else "")


@task(
    optional=["namespace"],
    help={
        "tilt": "run `tilt up` instead of `skaffold dev`",
        "offline": "build on the debootstrap base shipyard-base:bookworm without asking whether a registry answers",
        "online": "build on the official python:3.11-slim-bookworm without asking whether a registry answers",
        "debug": f"run web under debugpy, listening on 127.0.0.1:{ports.DEBUGPY} for .vscode/launch.json's attach",
        **settings.HELP,
        "web_port": f"with --tilt --namespace: forward web to this local port (default: the first free from "
        f"{ports.WEB})",
    },
)
def up(
    c: Context,
    tilt: bool = False,
    offline: bool = False,
    online: bool = False,
    debug: bool = False,
    namespace: str = "",
    registry: str = "",
    context: str = "",
    web_port: int = 0,
) -> None:
    """Start what the loop needs (engine, base image, cluster), then the dev loop: skaffold dev (or tilt up)."""
    refused = local_ports.web_port_refusal(web_port, tilt, namespace)
    if refused:
        raise Exit(f"up: {refused}", code=2)
    phases = Phases()
    log = Progress("up")
    url: str | supervise.Url = supervise.WEB_URL
    if namespace:
        # A shared cluster: the doctor checks every step first; the namespace is made or refused before any deploy.
        shared = settings.resolve(namespace, registry, context)
        argv, env, target, url = session.start(
            shared, tilt, offline_choice(offline, online), debug, web_port, phases, log
        )
        print(f"up: {target.kind} ({target.context}): {target.plan}", flush=True)
        print(f"up: {' '.join(argv)}", flush=True)
    else:
        # Everything that could stop the loop is checked first: nothing starts that would be torn down.
        diagnosis = report(tilt, offline_choice(offline, online))
        prepare.engine(phases, log)
        prepare.base(diagnosis.offline, phases, log)
        target = prepare.cluster(c, diagnosis, phases, log)
        # skaffold forwards web to 8000, or to a free port of its choosing if 8000 is taken: its API says which.
        api = 0 if tilt else session.free_api_port()
        argv, env = loop.command(target, tilt, diagnosis.offline, debug, skaffold_api=api)
        if api:
            url = session.skaffold_web(api)
        print(f"up: {target.kind} ({target.context}): {target.plan}", flush=True)
        listening = f"web on {ports.WEB_URL}" + (f", debugpy on 127.0.0.1:{ports.DEBUGPY}" if debug else "")
        print(f"up: {' '.join(argv)} ({listening})", flush=True)
    code = supervise.run(argv, env, ROOT, target, phases, url)
    if code not in (0, 130, -signal.SIGINT):
        raise Exit(f"up: {argv[0]} exited with {code} (its output is above)", code=1)


@task(
    optional=["namespace"],
    help={
        "tilt": "tear down what tilt up deployed",
        "stop_cluster": "also stop the cluster (minikube or the test one)",
        "namespace": "remove the loop from this namespace of yours on a shared cluster (just --namespace: dev-$USER)",
        "context": settings.HELP["context"],
    },
)
def down(c: Context, tilt: bool = False, stop_cluster: bool = False, namespace: str = "", context: str = "") -> None:
    """Delete what the dev loop deployed (and, with --stop-cluster, stop the cluster)."""
    if namespace:
        shared = settings.resolve(namespace, context=context, need_registry=False)
        argv, env, target, shared_cluster = session.stop(shared, tilt)
        subprocess.run(argv, cwd=ROOT, env=env, check=True)
        pull_secret.remove(shared_cluster, shared.namespace)
        print(
            f"down: removed the dev loop from {shared.namespace} on {target.context}; the namespace stays yours "
            f"(with PostgreSQL's volume): `kubectl delete namespace {shared.namespace}` removes it too"
        )
        return
    target, why = targets.find()
    if target is None:
        raise Exit(f"down: {why}: nothing to delete", code=1)
    argv, env = loop.delete_command(target, tilt)
    subprocess.run(argv, cwd=ROOT, env=env, check=True)
    if stop_cluster and target.kind == "minikube":
        c.run(f"minikube stop --profile {minikube.PROFILE}")
    elif stop_cluster and target.kind == "test-cluster":
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
        target, why = targets.find(namespace)
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


@task(help={"namespace": "where the dev loop deployed (default: the context's own namespace)"})
def manage(c: Context, namespace: str = "") -> None:
    """Run manage.py in the dev loop's web pod: invoke manage -- createsuperuser (shell, dbshell, ...)."""
    # invoke joins what follows `--` with spaces (c.remainder), losing the quoting; argv still has it whole.
    args = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else shlex.split(c.remainder)
    code = in_pod.manage(args, namespace)
    if code:
        raise Exit(code=code)  # manage.py said why


@task(
    help={
        "app": "only this app's changes, e.g. --app analysis (default: every app's)",
        "namespace": "where the dev loop deployed (default: the context's own namespace)",
    },
)
def makemigrations(c: Context, app: str = "", namespace: str = "") -> None:
    """Make migrations in the dev loop's web pod (its image, settings, database) and write them into app/."""
    written = in_pod.makemigrations([app] if app else [], namespace)
    for path in written:
        print(f"makemigrations: wrote {path.relative_to(ROOT)}", flush=True)
    if written:
        print("makemigrations: the loop's web applies them on its next reload (it is reloading now)", flush=True)
    else:
        print("makemigrations: no changes", flush=True)
