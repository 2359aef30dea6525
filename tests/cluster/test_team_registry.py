"""A team's registry that requires a login (tests/support/auth_registry.py), with both ends real: `docker login`
and `docker push` on the host, the cluster pulling with an imagePullSecret made from the developer's Docker config.
Without one, or without a login, the registry says 401."""

from __future__ import annotations

import json
import uuid

import pytest

from tasks.cluster.client import kubectl
from tests.cluster.commands import apply, busybox, delete_namespace, restricted_namespace, wait_ready
from tests.support.processes import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.docker, pytest.mark.slow]

SECRET = "team-registry"


@pytest.fixture
def ns(cluster):
    name = restricted_namespace(cluster, "team-registry")
    yield name
    delete_namespace(cluster, name)


@pytest.fixture
def pushed(cluster, auth_registry, tmp_path):
    """The cluster registry's busybox, pushed by a logged-in developer: (its ref, the Docker config directory)."""
    config = auth_registry.docker_config(tmp_path / "docker")
    source = f"{cluster.registry}/busybox:1.35"
    pulled = auth_registry.docker(config, "pull", "--quiet", source)
    assert pulled.returncode == 0, f"docker pull {source} failed: {pulled.stderr}"
    image = auth_registry.push(config, source, f"shipyard-test/busybox:{uuid.uuid4().hex[:8]}")
    yield image, str(config)
    auth_registry.docker(config, "rmi", image)  # the tag in Docker's store; the registry's storage goes with it


def _pull_failure(cluster, ns: str, pod: str) -> str:
    """The pod's image-pull error as kubelet reports it (container status, then the Failed events); '' until then."""
    status = json.loads(kubectl(cluster, "-n", ns, "get", "pod", pod, "-o", "json").stdout).get("status", {})
    waiting = [s.get("state", {}).get("waiting", {}) for s in status.get("containerStatuses", [])]
    messages = [w.get("message", "") for w in waiting if w.get("reason") in ("ErrImagePull", "ImagePullBackOff")]
    events = kubectl(cluster, "-n", ns, "get", "events", "--field-selector", f"involvedObject.name={pod}", "-o", "json")
    messages += [e.get("message", "") for e in json.loads(events.stdout)["items"] if e.get("reason") == "Failed"]
    return "\n".join(m for m in messages if m)


def test_the_cluster_pulls_from_the_team_registry_with_a_pull_secret_and_only_with_one(cluster, ns, pushed):
    image, config = pushed
    # Always: without it, a pod on a node that already has the image runs it without asking the registry.
    without = busybox(cluster, "without-secret", ns, ["sleep", "3600"], image=image, imagePullPolicy="Always")
    apply(cluster, without)
    refused = wait_until(
        "the pod without a pull secret to fail its pull", lambda: _pull_failure(cluster, ns, "without-secret"), 60
    )
    assert "401" in refused or "unauthorized" in refused.lower(), refused

    kubectl(
        cluster,
        *("-n", ns, "create", "secret", "generic", SECRET, "--type=kubernetes.io/dockerconfigjson"),
        f"--from-file=.dockerconfigjson={config}/config.json",
    )
    with_secret = busybox(cluster, "with-secret", ns, ["sleep", "3600"], image=image, imagePullPolicy="Always")
    with_secret["spec"]["imagePullSecrets"] = [{"name": SECRET}]
    apply(cluster, with_secret)
    wait_ready(cluster, ns, "with-secret", timeout=60)


def test_a_push_without_a_login_or_with_a_wrong_password_is_refused(cluster, auth_registry, pushed, tmp_path):
    image, _ = pushed
    anonymous = tmp_path / "anonymous"
    anonymous.mkdir()
    stale = auth_registry.docker_config_with_wrong_password(tmp_path / "stale")
    for config in (anonymous, stale):
        ref = f"{auth_registry.host}/shipyard-test/{config.name}:1"
        tagged = auth_registry.docker(config, "tag", image, ref)
        assert tagged.returncode == 0, tagged.stderr
        push = auth_registry.docker(config, "push", ref)
        said = push.stdout + push.stderr
        assert push.returncode != 0, f"{config.name} push of {ref} was accepted:\n{said}"
        assert "no basic auth credentials" in said or "unauthorized" in said.lower(), said
        auth_registry.docker(config, "rmi", ref)
