"""`skaffold dev` as `invoke up` runs it, in a scratch copy the tests edit, its forwards on free local ports (so it
runs beside the loops that take 8000): test_skaffold_dev.py's loop and test_make_it_yours_loop.py's."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tasks import ports
from tasks.cluster.client import Cluster, env, kubectl
from tasks.devloop.loop import SKAFFOLD_DEV_FLAGS, skaffold_forward
from tasks.devloop.scratch import scratch_copy
from tests.cluster.canary import with_canary
from tests.cluster.commands import delete_namespace, restricted_namespace
from tests.cluster.loop import background, get_json, web_pod
from tests.support.processes import free_port, wait_until


class DevLoop:
    """`skaffold dev --port-forward=user` running in a scratch copy, and what it forwarded."""

    def __init__(self, cluster: Cluster, copy: Path, namespace: str):
        self.cluster, self.copy, self.namespace = cluster, copy, namespace
        self.runs = 0
        self.start()

    def start(self) -> None:
        """skaffold dev as `invoke up` runs it, until web answers through its forward."""
        self.runs += 1
        self.started = time.monotonic()
        argv = ["skaffold", "dev", "--profile", "offline", "--namespace", self.namespace, *SKAFFOLD_DEV_FLAGS]
        log = self.copy.parent / ("skaffold-dev.log" if self.runs == 1 else f"skaffold-dev-{self.runs}.log")
        self.skaffold = background(argv, self.copy, self.cluster, log, with_canary(env(self.cluster)))
        self.web = f"http://127.0.0.1:{self.forwarded('service/web', 80)}"
        self.jobs()  # served: the schema is migrated and the forward answers
        self.served_after = time.monotonic() - self.started

    def restart(self) -> None:
        """Ctrl+C (skaffold removes what it deployed; PostgreSQL's volume stays), then the loop again."""
        self.skaffold.stop()
        self.start()

    def forwarded(self, target: str, remote: int) -> int:
        """The local port skaffold forwards TARGET's REMOTE port to, as its output says."""

        def found() -> int | None:
            assert self.skaffold.alive(), f"skaffold dev exited:\n{self.skaffold.output()[-4000:]}"
            return skaffold_forward(self.skaffold.output(), target, remote)

        return wait_until(f"skaffold to forward {target}:{remote}", found, 600, 1)

    def jobs(self, timeout: float = 300) -> dict:
        return wait_until(
            "web to answer /api/jobs through skaffold's forward", lambda: get_json(f"{self.web}/api/jobs"), timeout, 0.2
        )

    def write(self, files: dict[str, bytes]) -> None:
        for name, content in files.items():
            (self.copy / name).write_bytes(content)

    def web_pod(self) -> tuple[str, str] | None:
        return web_pod(self.cluster, self.namespace)

    def replaced(self, uid: str) -> tuple[str, str]:
        """Wait for web's pod UID to be gone (terminating pods still answer), then for web to answer
        through skaffold's forward, which follows the new pod once the old one's forward broke."""

        def new_pod_alone() -> tuple[str, str] | None:
            listed = json.loads(self.kubectl("get", "pods", "-o", "json").stdout)["items"]
            new = self.web_pod()
            gone = all(item["metadata"]["uid"] != uid for item in listed)
            return new if gone and new and new[0] != uid else None

        new = wait_until("web's old pod to be replaced and gone", new_pod_alone, 600, 1)
        self.jobs()
        return new

    def kubectl(self, *args: str, **kwargs):
        return kubectl(self.cluster, "-n", self.namespace, *args, **kwargs)


def forward_to_free_ports(copy: Path) -> None:
    """skaffold.yaml's forwards in COPY moved from 8000 and 5678 to free ports, committed: skaffold takes the first
    free port from 8000, where another loop's forward or a published container may be wanted while this one runs.
    The quick start's `./bin/up` forwards as skaffold.yaml says."""
    config = copy / "skaffold.yaml"
    text = config.read_text()
    for port in (ports.WEB, ports.DEBUGPY):
        assert text.count(f"localPort: {port}\n") == 1, f"skaffold.yaml forwards to {port} once"
        text = text.replace(f"localPort: {port}\n", f"localPort: {free_port()}\n")
    config.write_text(text)
    git = ["git", "-c", "user.name=scratch", "-c", "user.email=scratch@localhost", "commit", "-qam", "free ports"]
    subprocess.run(git, cwd=copy, check=True)


@contextmanager
def skaffold_dev(cluster_session, tmp_path_factory) -> Iterator[DevLoop]:
    """One `skaffold dev` in a scratch copy and a restricted namespace of its own, removed with its namespace."""
    cluster = cluster_session.ensure_stack()
    copy = scratch_copy(tmp_path_factory.mktemp("skaffold-dev"))
    forward_to_free_ports(copy)
    namespace = restricted_namespace(cluster, "dev")
    loop = None
    try:
        loop = DevLoop(cluster, copy, namespace)
        print(f"skaffold dev: web served {loop.served_after:.1f}s after start")
        yield loop
    finally:
        if loop is not None:
            loop.skaffold.stop()
        delete_namespace(cluster, namespace)
