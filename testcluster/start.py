"""Start the test cluster: Kubernetes 1.26 from the kube kit's binaries as host processes, with Debian's etcd,
containerd and registry. `start` brings it to a Ready node with CoreDNS (teardown.py removes it).

It assumes the caller (tasks/cluster/lifecycle.py, through provider.py) holds the cluster lock and has
recorded the run dir's state.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from tasks.cluster import registry
from tasks.cluster.layout import NAME, Layout
from tasks.cluster.progress import ClusterError, Log
from tasks.paths import tool
from testcluster import addons, binaries, config, network, pki, processes, system_images
from testcluster.layout import API_URL, CLIENT_BINARIES, DAEMON_BINARIES, ETCD_PORT
from testcluster.volume_provisioner import command as provisioner_command

PROVISIONER = "volume-provisioner"


def _daemon_env(layout: Layout) -> dict[str, str]:
    path = f"{layout.bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    return {"PATH": path, "HOME": "/root", "LANG": "C.UTF-8"}


def _last_line(log_file: Path) -> str:
    try:
        lines = [line for line in log_file.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1][:200] if lines else "empty log"


class Api:
    """GETs to the apiserver as the cluster admin, without spawning kubectl for every poll."""

    def __init__(self, layout: Layout) -> None:
        self.base = API_URL
        self.context = ssl.create_default_context(cafile=str(layout.pki / "ca.crt"))
        self.context.load_cert_chain(str(layout.pki / "admin.crt"), str(layout.pki / "admin.key"))
        # No proxy: the apiserver is on this host, whatever HTTPS_PROXY says.
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=self.context)
        )

    def get(self, path: str) -> dict | None:
        try:
            with self.opener.open(self.base + path, timeout=3) as response:
                body = response.read()
                return json.loads(body) if body.startswith(b"{") else {"text": body.decode()}
        except (urllib.error.URLError, OSError, ValueError):
            return None


class Starter:
    """Starts daemons and waits for them, failing fast (one line, naming the log) when one exits."""

    def __init__(self, layout: Layout, log: Log) -> None:
        self.layout, self.log = layout, log
        self.commands = config.commands(layout)
        self.env = _daemon_env(layout)
        self.started: dict[str, processes.Record] = {}

    def start(self, name: str, argv: list[str] | None = None) -> None:
        argv = argv or self.commands[name]
        self.started[name] = processes.start(self.layout.pids, self.layout.logs, name, argv, self.env)

    def wait(self, what: str, ready: Callable[[], object], timeout: float, daemon: str, quiet: bool = False) -> None:
        """Poll READY until true; fail at once when any daemon started so far has exited."""
        log_file = self.layout.logs / f"{daemon}.log"
        deadline = time.monotonic() + timeout
        while not ready():
            for name, record in list(self.started.items()):
                if not processes.alive(record):
                    died = self.layout.logs / f"{name}.log"
                    how = processes.exit_status(record) or "exited"
                    raise ClusterError(f"{name} stopped while starting ({how}): {_last_line(died)} (log: {died})")
            if time.monotonic() > deadline:
                raise ClusterError(f"timed out after {timeout:.0f}s waiting for {what} (log: {log_file})")
            time.sleep(0.2)
        if not quiet:
            self.log(f"{what} ready")


def _url_ok(url: str) -> bool:
    try:
        with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _node_ready(api: Api) -> bool:
    node = api.get(f"/api/v1/nodes/{NAME}") or {}
    conditions = node.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def _coredns_ready(api: Api) -> bool:
    deployment = api.get("/apis/apps/v1/namespaces/kube-system/deployments/coredns") or {}
    return deployment.get("status", {}).get("readyReplicas", 0) >= 1


def start(layout: Layout, log: Log) -> None:
    """Bring the test cluster up: network, certificates, daemons, add-ons; return once the node is Ready
    and CoreDNS answers."""
    binaries.ensure(layout, DAEMON_BINARIES + CLIENT_BINARIES, log)
    for directory in (layout.pids, layout.logs):
        directory.mkdir(parents=True, exist_ok=True)
    network.create()
    pki.generate(layout)
    config.write(layout)
    log(f"bridge, certificates and configs ready in {layout.run_dir}")

    run = Starter(layout, log)
    for name in ("etcd", "registry", "containerd"):
        run.start(name)
    run.wait("etcd", lambda: _url_ok(f"http://127.0.0.1:{ETCD_PORT}/health"), 30, "etcd")
    run.start("kube-apiserver")

    # Push the images the cluster needs while the apiserver starts (kubelet needs pause, CoreDNS its own).
    pushed: list[BaseException] = []

    def push_images() -> None:
        try:
            run.wait(f"registry {layout.registry}", lambda: registry.answers(layout.registry), 30, "registry")
            system_images.push_all(layout, log)
        except BaseException as error:  # reported by the main thread
            pushed.append(error)

    pusher = threading.Thread(target=push_images, name="push-images")
    pusher.start()
    api = Api(layout)
    try:
        run.wait("kube-apiserver", lambda: (api.get("/readyz") or {}).get("text") == "ok", 90, "kube-apiserver")
    finally:
        pusher.join()
    if pushed:
        raise pushed[0]
    run.start("kube-controller-manager")
    run.start("kube-scheduler")
    kubectl = [
        tool("kubectl"),
        "--kubeconfig",
        str(layout.kubeconfig),
        "--context",
        NAME,
        "--cache-dir",
        str(layout.kube_cache),
    ]
    addons.apply(kubectl, addons.manifests(layout), layout.logs / "addons.log")
    log("add-ons applied: CoreDNS, KEP-1755 ConfigMap, default StorageClass, kube-router RBAC")
    run.start("kubelet")
    run.start("kube-proxy")
    run.start(PROVISIONER, provisioner_command(API_URL, layout.pki, layout.volumes))
    # kube-router exits unless its node is registered already.
    run.wait(f"node {NAME} registered", lambda: api.get(f"/api/v1/nodes/{NAME}"), 60, "kubelet", quiet=True)
    run.start("kube-router")
    run.wait(f"node {NAME}", lambda: _node_ready(api), 120, "kubelet")
    run.wait("CoreDNS", lambda: _coredns_ready(api), 120, "kubelet")
    # Pods can be created in "default" once its ServiceAccount exists (a moment after the controllers start).
    run.wait(
        "default ServiceAccount",
        lambda: api.get("/api/v1/namespaces/default/serviceaccounts/default"),
        30,
        "kube-controller-manager",
    )
