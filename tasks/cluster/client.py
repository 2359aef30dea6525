"""Talk to the test cluster: is one running, and how to run kubectl, skaffold or tilt against it.

`running()` gives the Cluster or None; `kubectl(cluster, "get", "nodes")` runs the project's kubectl
with the cluster's own kubeconfig and context; `subprocess.run(["skaffold", "run"], env=env(cluster))`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tasks.cluster import layout as layouts
from tasks.cluster import providers, state
from tasks.cluster.progress import ClusterError
from tasks.paths import tool


@dataclass(frozen=True)
class Cluster:
    kubeconfig: Path
    context: str
    registry: str  # host:port the host pushes to, e.g. 127.0.0.1:5000
    kind: str  # "binaries" (from the kube kit's binaries) or "kind"
    run_dir: Path | None = None


def from_state(layout: layouts.Layout, recorded: state.State) -> Cluster:
    return Cluster(Path(recorded.kubeconfig), recorded.context, recorded.registry, recorded.kind, layout.run_dir)


def running(layout: layouts.Layout | None = None) -> Cluster | None:
    """The test cluster if one runs: on binaries, every daemon it recorded is alive."""
    layout = layout or layouts.current()
    recorded = state.load(layout)
    if recorded is None:
        return None
    if recorded.kind == state.KIND:
        from tasks.cluster import kind  # kind imports nothing of ours that imports this module

        return from_state(layout, recorded) if kind.exists() else None
    daemons, dead = providers.binaries().daemons(layout)
    if daemons and not dead:
        return from_state(layout, recorded)
    return None


def kubectl_argv(cluster: Cluster) -> list[str]:
    try:
        argv = [tool("kubectl"), "--kubeconfig", str(cluster.kubeconfig), "--context", cluster.context]
    except FileNotFoundError as error:
        raise ClusterError(str(error)) from None
    if cluster.run_dir is not None:  # kubectl's cache beside the cluster, gone with it
        argv += ["--cache-dir", str(cluster.run_dir / "kube-cache")]
    return argv


def kubectl(
    cluster: Cluster, *args: str, input: str | None = None, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess:
    """Run the project's kubectl against CLUSTER; with check, a failure raises ClusterError with its last line."""
    result = subprocess.run(
        [*kubectl_argv(cluster), *args],
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=layouts.bypass_proxy(dict(os.environ)),
    )
    if check and result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise ClusterError(f"kubectl {' '.join(args[:2])} failed: {detail[-1] if detail else 'no output'}")
    return result


def env(cluster: Cluster, base: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for skaffold, tilt, kubectl and crictl against CLUSTER: its kubeconfig, the kube kit's client tools
    and the project's kubectl first on PATH, and the registry as skaffold's default repo."""
    environ = layouts.bypass_proxy(dict(os.environ if base is None else base))
    layout = layouts.current()
    first = []
    if cluster.run_dir is not None and (cluster.run_dir / "bin").is_dir():
        first.append(str(cluster.run_dir / "bin"))  # a BuildKit-capable docker client, when PATH's lacks buildx
    first += [str(layout.bin_dir), str(Path(sys.executable).parent)]
    environ["PATH"] = os.pathsep.join([*first, environ.get("PATH", "")])
    environ.update(
        KUBECONFIG=str(cluster.kubeconfig),
        SHIPYARD_CLUSTER_CONTEXT=cluster.context,
        SKAFFOLD_DEFAULT_REPO=cluster.registry,
        SKAFFOLD_KUBE_CONTEXT=cluster.context,
        SKAFFOLD_UPDATE_CHECK="false",
        SKAFFOLD_INTERACTIVE="false",
    )
    if cluster.run_dir is not None:
        environ["KUBECACHEDIR"] = str(cluster.run_dir / "kube-cache")  # not ~/.kube/cache
    if cluster.kind == state.BINARIES and cluster.run_dir is not None:
        environ["CRI_CONFIG_FILE"] = str(cluster.run_dir / "conf" / "crictl.yaml")
    return environ
