"""`invoke cluster.*`: the test cluster, a throwaway Kubernetes cluster (kind, or binaries from the kube kit)."""

from __future__ import annotations

from invoke import Context, task
from invoke.exceptions import Exit

from tasks.cluster import lifecycle
from tasks.cluster.progress import Progress


@task(
    help={
        "driver": "auto (kind if kind and a node image are at hand, else binaries: Kubernetes from the kube kit's "
        "binaries), binaries or kind",
        "registry-port": "port of the local registry on 127.0.0.1 (default 5000, or SHIPYARD_REGISTRY_PORT)",
        "datastores": "also push the PostgreSQL/Redis images the dev overlay uses to the registry (the kube kit's "
        "stand-ins, built; without the kube kit, Docker Hub's)",
    }
)
def up(c: Context, driver: str = "auto", registry_port: int = 0, datastores: bool = False) -> None:
    """Start the test cluster unless it already runs (kubeconfig and context of its own)."""
    log = Progress("up")
    outcome = lifecycle.up(driver, registry_port or None, datastores, log=log)
    cluster = outcome.cluster
    done = "up" if outcome.started else "already running, nothing to do"
    pushed = f", pushed {len(outcome.pushed)} images" if outcome.pushed else ""
    print(
        f"cluster {done} ({log.elapsed():.1f}s): {cluster.kind}, context {cluster.context}, "
        f"KUBECONFIG={cluster.kubeconfig}, registry {cluster.registry}{pushed}",
        flush=True,
    )


@task
def down(c: Context) -> None:
    """Stop the test cluster and remove everything it made (the unpacked binaries' cache stays)."""
    log = Progress("down")
    if lifecycle.down(log=log):
        print(f"cluster down ({log.elapsed():.1f}s): no process, mount, rule or interface left behind", flush=True)
    else:
        print("cluster down: no test cluster here, nothing to do", flush=True)


@task
def status(c: Context) -> None:
    """Say whether the test cluster runs: kind, context, kubeconfig, registry, nodes (exit 1 when none)."""
    report = lifecycle.report()
    print("\n".join(report.lines), flush=True)
    if report.status != lifecycle.RUNNING:
        raise Exit(code=1)  # the line above said why
