"""The PostgreSQL and Redis stand-ins the dev overlay's in-cluster datastores run, in the cluster's registry.

The dev overlay says `postgres:16.4-bookworm` and `redis:7.4-bookworm` (k8s/components): Docker Hub names
that the cluster resolves through its docker.io mirror, i.e. REGISTRY/library/postgres:16.4-bookworm.
Where the kube kit is (machines that reach no registry), its images/postgres and images/redis Dockerfiles
build stand-ins from Debian packages on the project's debootstrap image (shipyard-base:bookworm); where it
is not (kind on a laptop or GitHub Actions), the official images are pulled from Docker Hub. An image
already in the registry is left alone; a rebuild of an unchanged one is a BuildKit cache hit.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import yaml

from tasks.cluster import images, registry
from tasks.cluster.client import Cluster
from tasks.cluster.layout import Layout
from tasks.cluster.progress import ClusterError, Log
from tasks.image import debian_base
from tasks.image.docker_engine import DockerError, build_env, builder
from tasks.paths import ROOT

COMPONENTS = {"postgres": ROOT / "k8s/components/postgres", "redis": ROOT / "k8s/components/redis"}


def wanted() -> dict[str, str]:
    """Image name -> tag, as the dev overlay's components name them (postgres: 16.4-bookworm, ...)."""
    found = {}
    for name, folder in COMPONENTS.items():
        for manifest in sorted(folder.glob("*.yaml")):
            for doc in yaml.safe_load_all(manifest.read_text()):
                pod = (doc or {}).get("spec", {}).get("template", {}).get("spec", {})
                for container in pod.get("containers", []) + pod.get("initContainers", []):
                    repo, _, tag = container["image"].partition(":")
                    if repo in (name, f"docker.io/library/{name}", f"library/{name}"):
                        found[name] = tag or "latest"
    missing = set(COMPONENTS) - set(found)
    if missing:
        raise ClusterError(f"no {', '.join(sorted(missing))} image found in {', '.join(map(str, COMPONENTS.values()))}")
    return found


def _tail(path: Path) -> str:
    lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def ensure(cluster: Cluster, layout: Layout, log: Log, base_image: str = debian_base.BASE_TAG) -> list[str]:
    """Build (or pull) and push whichever image the registry lacks; returns the references pushed."""
    pushed = []
    logs = (cluster.run_dir or layout.run_dir) / "logs"
    workdir = layout.run_dir / "tmp"  # `docker save` archives, deleted once pushed
    logs.mkdir(parents=True, exist_ok=True)
    for name, tag in wanted().items():
        ref = f"{cluster.registry}/library/{name}:{tag}"
        if registry.has(cluster.registry, f"library/{name}", tag):
            log(f"{ref} already in the registry")
            continue
        context = layout.kit_dir / "images" / name
        if not (context / "Dockerfile").is_file():
            official = f"{name}:{tag}"
            hint = f"no stand-in Dockerfile at {context}: set SHIPYARD_KUBE_DIR to the kube kit's folder"
            images.pull(official, log, hint)
            images.push_from_docker(cluster.registry, f"library/{name}", tag, official, "docker", workdir)
            log(f"pushed {ref} (the official image from Docker Hub); pods may use image {name}:{tag}")
            pushed.append(ref)
            continue
        if base_image == debian_base.BASE_TAG:
            debian_base.ensure_base(log=log)  # a no-op when it exists
        try:
            b = builder()
        except DockerError as error:
            raise ClusterError(str(error)) from None
        started = time.monotonic()
        log(f"building {ref} from {context} on {base_image} ({b.describe()})")
        log_file = logs / f"build-{name}.log"
        with log_file.open("w") as out:
            built = subprocess.run(
                [*b.argv, "--build-arg", f"BASE_IMAGE={base_image}", "-t", ref, str(context)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=build_env(b),
                check=False,
            )
            if built.returncode != 0:
                raise ClusterError(f"docker build of the {name} stand-in failed: {_tail(log_file)} (log: {log_file})")
        client = b.argv[0] if b.argv[1] == "build" else "docker"
        built_at = time.monotonic()
        images.push_from_docker(cluster.registry, f"library/{name}", tag, ref, client, workdir)
        pushed_in = time.monotonic() - built_at
        log(f"pushed {ref} (built {built_at - started:.0f}s, pushed {pushed_in:.0f}s); pods may use image {name}:{tag}")
        pushed.append(ref)
    return pushed
