"""Bring the test cluster up, take it down, say how it is: the logic behind `invoke cluster.*`, over its
two providers, kind (kind.py) and binaries (testcluster/, reached through providers.py).

One cluster at a time, under a lock. `up` records the run dir's state before it starts anything, so
`down` can always clean up; a failing `up` stops everything it started before it reports.
"""

from __future__ import annotations

import fcntl
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tasks.cluster import client, datastores, kind, providers, registry, state
from tasks.cluster.client import Cluster
from tasks.cluster.layout import NAME, Layout, current
from tasks.cluster.progress import ClusterError, Log
from tasks.image.docker_engine import buildkit_client_not_on_path
from tasks.shared import file_lock

DRIVERS = ("auto", state.BINARIES, state.KIND)
RUNNING, NONE, STOPPED, BROKEN = "running", "none", "stopped", "broken"


@contextmanager
def locked(layout: Layout, wait: float = 300) -> Iterator[None]:
    """One `up` or `down` at a time on this machine (two test sessions starting at once share one cluster)."""
    layout.cache_dir.mkdir(parents=True, exist_ok=True)
    with open(layout.lock_file, "w") as lock:
        if not file_lock.acquire(lock, fcntl.LOCK_EX, wait):
            raise ClusterError(f"another cluster.up or cluster.down holds {layout.lock_file}")
        yield


def condition(layout: Layout) -> tuple[str, state.State | None, list[str]]:
    """(RUNNING | NONE | STOPPED | BROKEN, the recorded state, names of recorded daemons that stopped)."""
    recorded = state.load(layout)
    if recorded is None:
        return NONE, None, []
    if recorded.kind == state.KIND:
        return (RUNNING if kind.exists() else STOPPED), recorded, []
    daemons, dead = providers.binaries().daemons(layout)
    if daemons and not dead:
        return RUNNING, recorded, []
    return (BROKEN if len(dead) < len(daemons) else STOPPED), recorded, dead


def choose(layout: Layout, driver: str) -> str:
    """kind where kind, Docker and a kind node image are at hand (or the kube kit is not); else binaries."""
    if driver not in DRIVERS:
        raise ClusterError(f"unknown --driver {driver!r}: use {', '.join(DRIVERS)}")
    if driver == state.BINARIES:
        return state.BINARIES
    if driver == "auto" and providers.binaries().present(layout) and not (kind.installed() and kind.node_image()):
        return state.BINARIES
    if kind.installed():
        return state.KIND
    if driver == "kind":
        raise ClusterError("--driver kind: kind or a running Docker engine is missing (https://kind.sigs.k8s.io)")
    raise ClusterError(
        f"no way to run a test cluster here: install kind and Docker, or put the kube kit at {layout.kit_dir} "
        "(or set SHIPYARD_KUBE_DIR)"
    )


def preflight(driver: str = "auto", registry_port: int | None = None) -> str:
    """Which cluster `up` would start here, once everything it needs is checked; ClusterError says what is not.
    A stopped cluster's bridge and routes (its daemons killed, say by a container restart) are no clash:
    `up` removes them before it starts."""
    layout = current(registry_port)
    status, _recorded, dead = condition(layout)
    if status == BROKEN:
        raise ClusterError(_partly_running(layout, dead))
    which = choose(layout, driver)
    _preflight(layout, which, leftovers_are_ours=status == STOPPED)
    return which


def _partly_running(layout: Layout, dead: list[str]) -> str:
    return (
        f"the test cluster in {layout.run_dir} is only partly running ({', '.join(dead)} stopped): "
        "run `invoke cluster.down`, then up again"
    )


def _preflight(layout: Layout, which: str, leftovers_are_ours: bool = False) -> None:
    if which == state.BINARIES:
        providers.binaries().preflight(layout, leftovers_are_ours)
    elif registry.listener(layout.registry_port) is not None:
        raise ClusterError(f"registry port {layout.registry_port} is in use: set SHIPYARD_REGISTRY_PORT to a free one")


def _link_build_client(layout: Layout) -> None:
    """skaffold builds with `docker build` and BuildKit: when the docker first on PATH lacks buildx (a client
    of 23+ without the plugin), env() puts the run dir's bin/docker, a link to one that can, first."""
    client = buildkit_client_not_on_path()
    if client is not None:
        (layout.run_dir / "bin").mkdir(exist_ok=True)
        (layout.run_dir / "bin" / "docker").symlink_to(client)


@dataclass
class Outcome:
    cluster: Cluster
    started: bool  # False: it was already running
    pushed: list[str] = field(default_factory=list)


def up(driver: str = "auto", registry_port: int | None = None, with_datastores: bool = False, *, log: Log) -> Outcome:
    """Start the test cluster unless it runs; with_datastores also pushes the PostgreSQL/Redis stand-ins."""
    layout = current(registry_port)
    with locked(layout):
        status, recorded, dead = condition(layout)
        if status == BROKEN:
            raise ClusterError(_partly_running(layout, dead))
        if status == STOPPED:
            log(f"removing the leftovers of a stopped test cluster in {layout.run_dir}")
            _teardown(layout, recorded, log)
        if status == RUNNING:
            outcome = Outcome(client.from_state(layout, recorded), started=False)
        else:
            outcome = Outcome(_start(layout, driver, log), started=True)
    if with_datastores:
        outcome.pushed = datastores.ensure(outcome.cluster, layout, log)
    return outcome


def _start(layout: Layout, driver: str, log: Log) -> Cluster:
    if not state.is_ours(layout.run_dir):
        raise ClusterError(
            f"{layout.run_dir} exists and is not a test cluster's run dir: set SHIPYARD_CLUSTER_DIR elsewhere"
        )
    which = choose(layout, driver)
    _preflight(layout, which)
    started_at = time.time()
    created = state.claim_run_dir(layout)
    if layout.logs.is_dir():  # a failed start's logs: kept beside the new ones until `down`
        shutil.rmtree(layout.run_dir / "logs.previous", ignore_errors=True)
        layout.logs.rename(layout.run_dir / "logs.previous")
    if which == state.BINARIES:
        created += providers.binaries().absent_host_paths()
    recorded = state.State(
        kind=which,
        context=NAME,
        kubeconfig=str(layout.kubeconfig),
        registry=layout.registry,
        started_at=started_at,
        created_paths=created,
        kit_dir=str(layout.kit_dir),
    )
    state.save(layout, recorded)  # before anything starts: `down` can always clean up
    try:
        if which == state.BINARIES:
            providers.binaries().run(layout, log)
        else:
            kind.start(layout, recorded, lambda s: state.save(layout, s), log)
        _link_build_client(layout)
    except BaseException as error:
        reason = "interrupted" if isinstance(error, KeyboardInterrupt) else str(error) or type(error).__name__
        log(f"failed: {reason}; stopping everything that was started")
        try:
            _teardown(layout, recorded, log, keep_logs=True)
        except Exception as cleanup:
            raise ClusterError(f"{reason}; cleaning up failed too ({cleanup}): run `invoke cluster.down`") from None
        where = f"; logs in {layout.logs}" if layout.logs.is_dir() else ""
        raise ClusterError(f"{reason} (everything started was stopped{where})") from None
    return client.from_state(layout, recorded)


def _teardown(layout: Layout, recorded: state.State | None, log: Log, keep_logs: bool = False) -> None:
    parents = recorded.created_paths if recorded else []
    if recorded is not None and recorded.kind == state.KIND:
        kind.stop(layout, recorded, log)
    else:
        binaries = providers.binaries()
        binaries.stop(layout, recorded, log)
        parents = [p for p in parents if p not in binaries.HOST_PATHS]  # the provider removed those itself
    if keep_logs and layout.logs.is_dir():
        for entry in layout.run_dir.iterdir():
            if entry in (layout.logs, layout.marker):
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    else:
        state.remove_run_dir(layout, parents)


def down(*, log: Log) -> bool:
    """Stop the test cluster and remove every trace of it; False when there was nothing to do."""
    layout = current()
    with locked(layout):
        if not state.is_ours(layout.run_dir):
            raise ClusterError(
                f"{layout.run_dir} is not a test cluster's run dir (no .shipyard-cluster marker): left alone"
            )
        recorded = state.load(layout)
        if recorded is None and not layout.run_dir.exists() and not providers.binaries().bridge_exists():
            return False
        _teardown(layout, recorded, log)
        if recorded is None or recorded.kind == state.BINARIES:
            remaining = providers.binaries().leftovers(layout)
            if layout.run_dir.exists():
                remaining.append(f"directory {layout.run_dir}")
            if remaining:
                raise ClusterError(f"down left {len(remaining)} things behind: {'; '.join(remaining[:5])}")
    return True


@dataclass
class Report:
    status: str
    lines: list[str]
    cluster: Cluster | None = None


def _node_lines(cluster: Cluster) -> list[str]:
    result = client.kubectl(
        cluster,
        "get",
        "nodes",
        "-o",
        'jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} '
        '{.status.nodeInfo.kubeletVersion}{"\\n"}{end}',
        timeout=20,
        check=False,
    )
    if result.returncode != 0:
        return [f"nodes:      API not answering ({(result.stderr.strip().splitlines() or ['?'])[-1]})"]
    lines = []
    for row in result.stdout.splitlines():
        name, ready, version = [*row.split(), "", "", ""][:3]
        lines.append(f"node:       {name} {'Ready' if ready == 'True' else 'NotReady'} ({version})")
    return lines or ["nodes:      none registered"]


def report() -> Report:
    """What `invoke cluster.status` prints."""
    layout = current()
    status, recorded, dead = condition(layout)
    if status == NONE:
        return Report(NONE, [f"no test cluster runs (run dir {layout.run_dir}): start one with `invoke cluster.up`"])
    if status != RUNNING:
        why = f" ({', '.join(dead)} stopped)" if dead else ""
        return Report(status, [f"the test cluster in {layout.run_dir} is {status}{why}: run `invoke cluster.down`"])
    cluster = client.from_state(layout, recorded)
    flavour = "binaries (Kubernetes from the kube kit's binaries)" if cluster.kind == state.BINARIES else "kind"
    registry_ok = "answering" if registry.answers(cluster.registry) else "NOT answering"
    lines = [
        f"cluster:    running, {flavour}, up since {time.strftime('%H:%M:%S', time.localtime(recorded.started_at))}",
        f"context:    {cluster.context}",
        f"kubeconfig: {cluster.kubeconfig}",
        f"registry:   {cluster.registry} ({registry_ok})",
        *_node_lines(cluster),
    ]
    return Report(RUNNING, lines, cluster)
