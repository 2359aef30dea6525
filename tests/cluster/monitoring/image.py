"""The scraper's image (victoria-metrics/Dockerfile), built on the project's base image and pushed to the cluster.

Built as the datastore stand-ins are (tasks/cluster/datastores.py): BuildKit, apt inside the build, the
push from the Docker engine without gzip. Its tag is a hash of the Dockerfile and of the base image's id,
so a registry that holds it already costs one HTTP request; after `cluster.up` emptied the registry the
build is a BuildKit cache hit and only the push is paid again.
"""

from __future__ import annotations

import hashlib
import subprocess
import tempfile
from pathlib import Path

from tasks.cluster import images, registry
from tasks.cluster.client import Cluster
from tasks.image.builds import CA_SECRET_ID, HOST_CA
from tasks.image.debian_base import BASE_TAG
from tasks.image.docker_engine import build_env, builder, image_id

CONTEXT = Path(__file__).parent / "victoria-metrics"
REPO = "shipyard-test/victoria-metrics"


def ensure(cluster: Cluster, base_image: str = BASE_TAG) -> str:
    """The image's reference in CLUSTER's registry: built and pushed unless the registry holds it."""
    key = hashlib.sha256((CONTEXT / "Dockerfile").read_bytes() + image_id(base_image).encode()).hexdigest()[:12]
    ref = f"{cluster.registry}/{REPO}:{key}"
    if registry.has(cluster.registry, REPO, key):
        return ref
    b = builder()
    argv = [*b.argv, "--network", "host", "--build-arg", f"BASE_IMAGE={base_image}", "--tag", ref]
    if HOST_CA.is_file():  # apt may reach its mirror through a TLS proxy only the host trusts
        argv += ["--secret", f"id={CA_SECRET_ID},src={HOST_CA}"]
    built = subprocess.run([*argv, str(CONTEXT)], capture_output=True, text=True, env=build_env(b), timeout=600)
    assert built.returncode == 0, f"docker build of {ref} failed:\n{built.stdout[-2000:]}{built.stderr[-3000:]}"
    client = b.argv[0] if b.argv[1] == "build" else "docker"
    with tempfile.TemporaryDirectory(prefix="prometheus-push-", dir=cluster.run_dir) as workdir:
        images.push_from_docker(cluster.registry, REPO, key, ref, client, Path(workdir))
    return ref
