"""The command line and environment of the dev loop for a target cluster: skaffold dev or tilt up."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from tasks.devloop import minikube
from tasks.devloop.targets import Target
from tasks.image.docker_engine import buildkit_client_not_on_path

SKAFFOLD_DEV_FLAGS = (
    # Only skaffold.yaml's forwards (web 8000, debugpy 5678): bare --port-forward also
    # forwards every Service, PostgreSQL and Redis included, to ports of its choosing.
    "--port-forward=user",
    # skaffold acts on a change once no other came for this long (its notify trigger's debounce):
    # 1000 ms by default, most of an edit's wait. An editor's save is one burst well inside 100 ms.
    "--watch-poll-interval=100",
)

# skaffold says where it forwards: "Port forwarding service/web in namespace NS, remote port 80 -> http://127.0.0.1:8000"
SKAFFOLD_FORWARD = re.compile(r"Port forwarding (\S+) in namespace \S+, remote port (\d+) -> http://127\.0\.0\.1:(\d+)")


def skaffold_forward(output: str, target: str, remote: int) -> int | None:
    """The local port skaffold last said it forwards TARGET's REMOTE port to (it may forward anew)."""
    ports = {(m[1], int(m[2])): int(m[3]) for m in SKAFFOLD_FORWARD.finditer(output)}
    return ports.get((target, remote))


def buildkit_path(env: dict[str, str]) -> dict[str, str]:
    """PATH with a BuildKit-capable docker client first: a client of 23+ without buildx refuses
    skaffold's BuildKit builds, while Debian's docker.io client (20.10) drives the daemon's own."""
    client = buildkit_client_not_on_path(env.get("PATH"))
    if client is None:
        return env  # PATH's docker builds, or doctor has said why Docker cannot
    return {**env, "PATH": os.pathsep.join([os.path.dirname(client), env.get("PATH", "")])}


@dataclass(frozen=True)
class LocalPorts:
    """A loop's ports on 127.0.0.1 beside other loops (a shared cluster): web's forward and Tilt's UI, and skaffold's
    API, which says where skaffold forwarded web (it picks a free port when 8000 is taken)."""

    web: int
    tilt_ui: int
    skaffold_api: int


def command(
    target: Target,
    tilt: bool,
    offline: bool,
    debug: bool = False,
    local: LocalPorts | None = None,
    skaffold_api: int = 0,
) -> tuple[list[str], dict[str, str]]:
    """argv and environment for `skaffold dev` (or `tilt up`) against TARGET; with DEBUG, web under debugpy. LOCAL:
    the ports beside other loops (a shared cluster); SKAFFOLD_API: the port of skaffold's API (from LOCAL if given)."""
    env = {**os.environ, **target.env, "SKAFFOLD_UPDATE_CHECK": "false"}
    if target.kind == "minikube":
        env.update(minikube.minikube_docker_env())  # build into minikube's Docker: nothing is pushed
    env = buildkit_path(env)
    if tilt:
        # Tilt reads the registry from the cluster (KEP-1755) and trusts local contexts itself; on a shared
        # cluster the Tiltfile is told the registry and the context invoke has checked.
        tiltfile_args = [*(["--offline"] if offline else []), *(["--debug"] if debug else [])]
        flags = ["--context", target.context]
        if target.namespace:
            flags += ["--namespace", target.namespace]
            tiltfile_args += ["--registry", target.registry, "--shared-context", target.context]
        if local:
            flags += ["--port", str(local.tilt_ui)]
            tiltfile_args += ["--web-port", str(local.web)]
        return ["tilt", "up", *flags, *(["--", *tiltfile_args] if tiltfile_args else [])], env
    argv = [
        "skaffold",
        "dev",
        *SKAFFOLD_DEV_FLAGS,
        *target.skaffold_args(),
        *([f"--rpc-http-port={local.skaffold_api if local else skaffold_api}"] if local or skaffold_api else []),
        *(["--profile", "offline"] if offline else []),
        *(["--profile", "debug"] if debug else []),
    ]
    return argv, env


def delete_command(target: Target, tilt: bool) -> tuple[list[str], dict[str, str]]:
    """argv and environment that remove what the loop deployed to TARGET."""
    env = {**os.environ, **target.env}
    scope = ["--namespace", target.namespace] if target.namespace else []
    if tilt:
        shared = ["--", "--shared-context", target.context] if target.namespace else []  # the Tiltfile's guard
        return ["tilt", "down", "--context", target.context, *scope, *shared], env
    return ["skaffold", "delete", "--kube-context", target.context, *scope], env
