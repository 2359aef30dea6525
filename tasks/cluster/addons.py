"""What every test cluster gets on top of its provider's own: the KEP-1755 local-registry ConfigMap that tells
skaffold and tilt where to push, and the `kubectl apply` that installs add-ons."""

from __future__ import annotations

import os
import subprocess
import time

from tasks.cluster.layout import bypass_proxy
from tasks.cluster.progress import ClusterError

KEP_1755_HELP = "https://github.com/kubernetes/enhancements/tree/master/keps/sig-cluster-lifecycle/generic/1755-communicating-a-local-registry"


def local_registry_hosting(host: str, from_runtime: str, from_cluster: str) -> dict:
    """KEP-1755: tells dev tools (tilt, skaffold) where to push images this cluster can pull."""
    entry = f'host: "{host}"\nhostFromContainerRuntime: "{from_runtime}"\nhostFromClusterNetwork: "{from_cluster}"\n'
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "local-registry-hosting", "namespace": "kube-public"},
        "data": {"localRegistryHosting.v1": entry + f'help: "{KEP_1755_HELP}"\n'},
    }


def apply(kubectl: list[str], text: str, log_path, attempts: int = 20) -> None:
    """kubectl apply, retried briefly: right after start the apiserver may still be creating kube-public."""
    for attempt in range(attempts):
        result = subprocess.run(
            [*kubectl, "apply", "-f", "-"],
            input=text,
            capture_output=True,
            text=True,
            check=False,
            env=bypass_proxy(dict(os.environ)),
        )
        with open(log_path, "a") as log:
            log.write(result.stdout + result.stderr)
        if result.returncode == 0:
            return
        if attempt + 1 < attempts:
            time.sleep(0.5)
    detail = (result.stderr.strip().splitlines() or ["no output"])[-1]
    raise ClusterError(f"installing the add-ons failed: {detail} (see {log_path})")
