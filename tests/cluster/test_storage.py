"""Volumes of the default StorageClass behave like minikube's and kind's: a non-root pod can write its
claim (the in-tree hostPath provisioner's root-owned 0755 directories cannot), and a deleted claim's
volume goes away with it."""

from __future__ import annotations

import json

import pytest

from tasks.cluster.client import kubectl
from tests.cluster.commands import apply, busybox, delete_namespace, restricted_namespace
from tests.support.processes import wait_until

pytestmark = pytest.mark.cluster


@pytest.fixture
def restricted(cluster):
    ns = restricted_namespace(cluster, "cluster-storage")
    yield ns
    delete_namespace(cluster, ns)


def test_a_claim_of_the_default_class_is_writable_by_uid_10001(cluster, restricted):
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": restricted},  # no storageClassName: the default class
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "64Mi"}}},
    }
    writer = busybox(
        cluster,
        "writer",
        restricted,
        ["sh", "-c", "id -u && mkdir /data/pgdata && echo kept > /data/f"],
        volumeMounts=[{"name": "data", "mountPath": "/data"}],
    )
    writer["spec"]["restartPolicy"] = "Never"
    writer["spec"]["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]
    apply(cluster, claim, writer)

    def phase() -> str:
        return kubectl(cluster, "-n", restricted, "get", "pod", "writer", "-o", "jsonpath={.status.phase}").stdout

    assert wait_until("the writer pod to finish", lambda: phase() in ("Succeeded", "Failed") and phase(), 90) == (
        "Succeeded"
    ), kubectl(cluster, "-n", restricted, "logs", "writer", check=False).stdout
    assert kubectl(cluster, "-n", restricted, "logs", "writer").stdout.split() == ["10001"]

    volume = kubectl(cluster, "-n", restricted, "get", "pvc", "data", "-o", "jsonpath={.spec.volumeName}").stdout
    pv = json.loads(kubectl(cluster, "get", "pv", volume, "-o", "json").stdout)
    assert pv["spec"]["storageClassName"] == "standard"
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete"

    # Delete reclaims: the volume (and, on binaries, its directory) goes with the claim.
    kubectl(cluster, "-n", restricted, "delete", "pod", "writer", "--wait=true")
    kubectl(cluster, "-n", restricted, "delete", "pvc", "data", "--wait=false")

    def gone() -> bool:
        return kubectl(cluster, "get", "pv", volume, "--ignore-not-found", "-o", "name").stdout == ""

    wait_until(f"volume {volume} to be deleted", gone, 60)
    if cluster.kind == "binaries":
        assert not [p for p in (cluster.run_dir / "volumes").iterdir() if restricted in p.name]
