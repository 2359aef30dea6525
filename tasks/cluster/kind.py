"""The kind cluster, where kind and Docker are available (laptops, GitHub Actions): `kind create cluster
--name shipyard-test` with a local registry container, following kind's local-registry recipe
(https://kind.sigs.k8s.io/docs/user/local-registry/): containerd reads /etc/containerd/certs.d, each node
maps the registry's host address to the container, and the KEP-1755 ConfigMap advertises it. The registry
gets busybox:1.35 as the binaries provider's has it (the tests' probe pods run it).

kind brings the rest: CoreDNS, the default StorageClass `standard` (local-path, world-writable volumes),
NetworkPolicy enforcement (kindnet, kind >= 0.24), PodSecurity admission.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable

from tasks.cluster import addons, images, registry
from tasks.cluster.layout import NAME, Layout
from tasks.cluster.progress import ClusterError, Log
from tasks.cluster.state import State
from tasks.image.docker_engine import docker, docker_quiet
from tasks.paths import tool
from tasks.services.reach import docker_running

REGISTRY_CONTAINER = "shipyard-registry"
REGISTRY_IMAGE = os.environ.get("SHIPYARD_REGISTRY_IMAGE", "registry:2")
LABEL = "dev.shipyard.cluster=shipyard-test"  # marks the registry container as ours
KIND_CONFIG = """kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
containerdConfigPatches:
- |-
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
"""


def _kind(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["kind", *args], capture_output=True, text=True, timeout=timeout, check=False)


def node_image() -> str | None:
    """SHIPYARD_KIND_IMAGE, else the newest kindest/node image already in Docker's store."""
    if os.environ.get("SHIPYARD_KIND_IMAGE"):
        return os.environ["SHIPYARD_KIND_IMAGE"]
    listed = subprocess.run(
        ["docker", "image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "kindest/node"],
        capture_output=True,
        text=True,
        check=False,
    )
    tags = [line for line in listed.stdout.split() if not line.endswith(":<none>")]
    return tags[0] if tags else None


def installed() -> bool:
    return shutil.which("kind") is not None and docker_running()


def exists() -> bool:
    """A kind cluster named shipyard-test exists."""
    return shutil.which("kind") is not None and NAME in _kind("get", "clusters", timeout=60).stdout.split()


def _node_file(node: str, path: str, text: str) -> None:
    directory = path.rsplit("/", 1)[0]
    docker("exec", node, "mkdir", "-p", directory)
    result = subprocess.run(
        ["docker", "exec", "-i", node, "cp", "/dev/stdin", path],
        input=text,
        text=True,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        raise ClusterError(f"writing {path} in kind node {node} failed: {result.stderr.strip()}")


def _start_registry(layout: Layout) -> str:
    """The registry container on 127.0.0.1:PORT; returns its id."""
    found = subprocess.run(
        ["docker", "inspect", "-f", "{{.Id}} {{.State.Running}}", REGISTRY_CONTAINER],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.split()
    if found:
        raise ClusterError(
            f"a container named {REGISTRY_CONTAINER} exists that `invoke cluster.up` did not record: remove it "
            f"(docker rm -f {REGISTRY_CONTAINER}) or run `invoke cluster.down`"
        )
    return docker(
        "run",
        "-d",
        "--restart=always",
        "--label",
        LABEL,
        "-p",
        f"{layout.registry}:5000",
        "--network",
        "bridge",
        "--name",
        REGISTRY_CONTAINER,
        REGISTRY_IMAGE,
    ).strip()


def start(layout: Layout, recorded: State, save: Callable[[State], None], log: Log) -> None:
    """Create the kind cluster and its registry; RECORDED is updated (and saved) as soon as each exists."""
    if exists():
        raise ClusterError(
            f"a kind cluster named {NAME} exists that `invoke cluster.up` did not create: delete it with "
            f"`kind delete cluster --name {NAME}` first"
        )
    recorded.registry_container = _start_registry(layout)
    save(recorded)
    log(f"registry container {REGISTRY_CONTAINER} on {layout.registry}")
    config = layout.run_dir / "kind.yaml"
    config.write_text(KIND_CONFIG)
    argv = [
        "create",
        "cluster",
        "--name",
        NAME,
        "--config",
        str(config),
        "--kubeconfig",
        str(layout.kubeconfig),
        "--wait",
        "180s",
    ]
    image = node_image()
    if image:
        argv += ["--image", image]
    log(f"kind {' '.join(argv)}")
    created = _kind(*argv, timeout=900)
    if created.returncode != 0:
        detail = (created.stderr.strip().splitlines() or ["no output"])[-1]
        raise ClusterError(f"kind create cluster failed: {detail}")
    port = layout.registry_port
    mirror = f'[host."http://{REGISTRY_CONTAINER}:5000"]\n  capabilities = ["pull", "resolve", "push"]\n'
    docker_hub = f'server = "https://registry-1.docker.io"\n[host."http://{REGISTRY_CONTAINER}:5000"]\n'
    docker_hub += '  capabilities = ["pull", "resolve"]\n'
    for node in _kind("get", "nodes", "--name", NAME).stdout.split():
        # The host's address for the registry, and its name on the kind network (plain HTTP: without a
        # hosts.toml, containerd would try HTTPS).
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"{REGISTRY_CONTAINER}:5000"):
            _node_file(node, f"/etc/containerd/certs.d/{host}/hosts.toml", mirror)
        # docker.io through the local registry first, as on binaries: postgres:16.4-bookworm
        # resolves to the pushed stand-in before Docker Hub is asked.
        _node_file(node, "/etc/containerd/certs.d/docker.io/hosts.toml", docker_hub)
    networks = json.loads(docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", REGISTRY_CONTAINER))
    if "kind" not in networks:
        docker("network", "connect", "kind", REGISTRY_CONTAINER)
    kubectl = [tool("kubectl"), "--kubeconfig", str(layout.kubeconfig), "--cache-dir", str(layout.kube_cache)]
    subprocess.run([*kubectl, "config", "rename-context", f"kind-{NAME}", NAME], capture_output=True, check=False)
    # Pods name images as the host pushed them (127.0.0.1:PORT/..., mapped above); pods that talk to the
    # registry themselves reach it by its container name.
    in_cluster = f"{REGISTRY_CONTAINER}:5000"
    text = json.dumps(addons.local_registry_hosting(layout.registry, layout.registry, in_cluster))
    addons.apply([*kubectl, "--context", NAME], text, layout.run_dir / "addons.log")
    log("registry mirrors and the KEP-1755 ConfigMap in place")
    _wait_for_registry(layout.registry)
    images.ensure_busybox(layout, log)


def _wait_for_registry(address: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not registry.answers(address):
        if time.monotonic() > deadline:
            raise ClusterError(f"the registry container {REGISTRY_CONTAINER} does not answer on {address}")
        time.sleep(0.5)


def stop(layout: Layout, recorded: State, log: Log) -> None:
    """Delete the kind cluster and the registry container `up` recorded; nothing else."""
    if exists():
        deleted = _kind("delete", "cluster", "--name", NAME, "--kubeconfig", str(layout.kubeconfig))
        if deleted.returncode != 0:
            raise ClusterError(f"kind delete cluster --name {NAME} failed: {deleted.stderr.strip()}")
        log(f"kind cluster {NAME} deleted")
    if recorded.registry_container:
        labels = subprocess.run(
            ["docker", "inspect", "-f", "{{json .Config.Labels}}", recorded.registry_container],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if LABEL.split("=")[0] in labels:
            docker_quiet("rm", "-f", recorded.registry_container)
            log(f"registry container {REGISTRY_CONTAINER} removed")
