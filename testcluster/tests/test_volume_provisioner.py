"""The volume provisioner's decisions, against a fake API: which claims get a volume, with what directory,
and which volumes it deletes. (test_storage.py proves it in the real cluster.)"""

from __future__ import annotations

import stat

from testcluster import volume_provisioner as vp


class FakeApi:
    def __init__(self, claims: list[dict], volumes: list[dict] | None = None) -> None:
        self.claims, self.volumes = claims, volumes or []
        self.calls: list[tuple[str, str, dict | None]] = []

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        self.calls.append((method, path, body))
        if path == "/api/v1/persistentvolumeclaims":
            return 200, {"items": self.claims}
        if path == "/api/v1/persistentvolumes" and method == "GET":
            return 200, {"items": self.volumes}
        if path.startswith("/apis/storage.k8s.io/v1/storageclasses/"):
            return 200, {"reclaimPolicy": "Delete"}
        return 201, {}


def claim(name: str, provisioner: str = vp.PROVISIONER, phase: str = "Pending", volume: str = "") -> dict:
    return {
        "metadata": {
            "name": name,
            "namespace": "ns",
            "uid": f"{name}-0123456789",
            "annotations": {"volume.kubernetes.io/storage-provisioner": provisioner},
        },
        "spec": {
            "storageClassName": "standard",
            "accessModes": ["ReadWriteOnce"],
            "volumeName": volume,
            "resources": {"requests": {"storage": "1Gi"}},
        },
        "status": {"phase": phase},
    }


def test_a_pending_claim_of_its_class_gets_a_world_writable_directory_and_a_bound_volume(tmp_path):
    api = FakeApi([claim("data"), claim("other", provisioner="example.com/else"), claim("bound", volume="pv-1")])
    vp.provision(api, tmp_path)
    created = [body for method, _, body in api.calls if method == "POST"]
    assert len(created) == 1
    spec = created[0]["spec"]
    assert spec["claimRef"]["name"] == "data" and spec["claimRef"]["uid"] == "data-0123456789"
    assert spec["storageClassName"] == "standard" and spec["persistentVolumeReclaimPolicy"] == "Delete"
    directory = tmp_path / "ns-data-data-012"
    assert spec["hostPath"] == {"path": str(directory), "type": "Directory"}
    assert stat.S_IMODE(directory.stat().st_mode) == 0o777


def test_a_released_volume_is_deleted_with_its_directory_but_nothing_outside_the_root(tmp_path):
    root, outside = tmp_path / "volumes", tmp_path / "elsewhere"
    (root / "mine").mkdir(parents=True)
    outside.mkdir()

    def volume(name: str, path, phase: str = "Released") -> dict:
        return {
            "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": vp.PROVISIONER}},
            "spec": {"persistentVolumeReclaimPolicy": "Delete", "hostPath": {"path": str(path)}},
            "status": {"phase": phase},
        }

    api = FakeApi([], [volume("pv-mine", root / "mine"), volume("pv-out", outside), volume("pv-bound", root, "Bound")])
    vp.reclaim(api, root)
    deleted = [path for method, path, _ in api.calls if method == "DELETE"]
    assert deleted == ["/api/v1/persistentvolumes/pv-mine", "/api/v1/persistentvolumes/pv-out"]
    assert not (root / "mine").exists()
    assert outside.exists()
