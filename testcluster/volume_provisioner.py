"""The test cluster's volume provisioner: storage that behaves like minikube's and kind's.

Kubernetes' in-tree hostPath provisioner makes root-owned 0755 directories and applies no fsGroup
to hostPath volumes, so a non-root pod (PostgreSQL as uid 10001) cannot write its claim. This one
serves the default StorageClass: for each pending claim it makes a world-writable directory under
the run dir and a PersistentVolume bound to the claim; when a released volume's policy is Delete,
it removes both. The cluster runs it as a host process: `python volume_provisioner.py --root ...`.

Standard library only (it runs outside the invoke package), and it polls the API twice a second
over one kept-alive connection: simpler than a watch, and costs next to nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import shutil
import ssl
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

PROVISIONER = "shipyard.local/host-path"
CLASS_ANNOTATIONS = ("volume.kubernetes.io/storage-provisioner", "volume.beta.kubernetes.io/storage-provisioner")


class Api:
    """JSON over HTTPS to the apiserver with a client certificate."""

    def __init__(self, server: str, ca: str, cert: str, key: str) -> None:
        url = urlparse(server)
        self.host, self.port = url.hostname, url.port or 443
        self.context = ssl.create_default_context(cafile=ca)
        self.context.load_cert_chain(cert, key)
        self.connection: http.client.HTTPSConnection | None = None

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        if self.connection is None:
            self.connection = http.client.HTTPSConnection(self.host, self.port, context=self.context, timeout=10)
        data = json.dumps(body).encode() if body is not None else None
        try:
            self.connection.request(method, path, body=data, headers={"Content-Type": "application/json"})
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise
        return response.status, json.loads(payload) if payload else {}


def _log(line: str) -> None:
    print(time.strftime("%H:%M:%S"), line, flush=True)


def volume_for(claim: dict, path: Path, reclaim: str) -> dict:
    meta, spec = claim["metadata"], claim["spec"]
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": f"pvc-{meta['uid']}", "annotations": {"pv.kubernetes.io/provisioned-by": PROVISIONER}},
        "spec": {
            "capacity": {"storage": spec.get("resources", {}).get("requests", {}).get("storage", "1Gi")},
            "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
            "volumeMode": spec.get("volumeMode", "Filesystem"),
            "storageClassName": spec.get("storageClassName"),
            "persistentVolumeReclaimPolicy": reclaim,
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
            },
            # "Directory", not "DirectoryOrCreate": a vanished directory must fail, not come back root-owned.
            "hostPath": {"path": str(path), "type": "Directory"},
        },
    }


def provision(api: Api, root: Path) -> None:
    status, claims = api.call("GET", "/api/v1/persistentvolumeclaims")
    if status != 200:
        return
    for claim in claims.get("items", []):
        meta, spec = claim["metadata"], claim["spec"]
        annotations = meta.get("annotations") or {}
        if PROVISIONER not in (annotations.get(a) for a in CLASS_ANNOTATIONS):
            continue
        if claim.get("status", {}).get("phase") != "Pending" or spec.get("volumeName"):
            continue
        if spec.get("volumeMode") == "Block":
            continue  # a directory cannot be a block device
        status, storage_class = api.call("GET", f"/apis/storage.k8s.io/v1/storageclasses/{spec['storageClassName']}")
        reclaim = storage_class.get("reclaimPolicy", "Delete") if status == 200 else "Delete"
        path = root / f"{meta['namespace']}-{meta['name']}-{meta['uid'][:8]}"
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o777)  # explicitly: the umask would take the group and world bits away
        status, _ = api.call("POST", "/api/v1/persistentvolumes", volume_for(claim, path, reclaim))
        if status in (200, 201):
            _log(f"provisioned pvc-{meta['uid']} for {meta['namespace']}/{meta['name']} at {path}")
        elif status != 409:  # 409: made in an earlier round, the binder has not caught up yet
            _log(f"creating the volume for {meta['namespace']}/{meta['name']} failed: HTTP {status}")


def reclaim(api: Api, root: Path) -> None:
    status, volumes = api.call("GET", "/api/v1/persistentvolumes")
    if status != 200:
        return
    for volume in volumes.get("items", []):
        meta, spec = volume["metadata"], volume["spec"]
        if (meta.get("annotations") or {}).get("pv.kubernetes.io/provisioned-by") != PROVISIONER:
            continue
        if volume.get("status", {}).get("phase") != "Released" or spec.get("persistentVolumeReclaimPolicy") != "Delete":
            continue
        path = Path(spec.get("hostPath", {}).get("path", "/nonexistent"))
        if path.parent == root:  # never delete anything outside our own directory
            shutil.rmtree(path, ignore_errors=True)
        status, _ = api.call("DELETE", f"/api/v1/persistentvolumes/{meta['name']}")
        if status in (200, 202, 404):
            _log(f"deleted {meta['name']} and {path}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--root", required=True, type=Path, help="directory the volumes are made in")
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args(argv)
    api = Api(args.server, args.ca, args.cert, args.key)
    args.root.mkdir(parents=True, exist_ok=True)
    _log(f"serving StorageClass provisioner {PROVISIONER}, volumes in {args.root}")
    while True:
        try:
            provision(api, args.root)
            reclaim(api, args.root)
        except (OSError, http.client.HTTPException, ValueError) as error:
            _log(f"apiserver unreachable ({error}); retrying")
            time.sleep(1)
        time.sleep(args.interval)


def command(server: str, pki: Path, root: Path) -> list[str]:
    """The command line that runs this provisioner with the admin identity."""
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--server",
        server,
        "--ca",
        str(pki / "ca.crt"),
        "--cert",
        str(pki / "admin.crt"),
        "--key",
        str(pki / "admin.key"),
        "--root",
        str(root),
    ]


if __name__ == "__main__":
    main()
