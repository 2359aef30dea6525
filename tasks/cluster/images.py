"""Images pushed to the test cluster's registry without `docker push`: FROM-scratch ones (busybox here;
pause and CoreDNS in testcluster/system_images.py, made from the kube kit's files), and images from the
Docker engine sent with their layers as `docker save` writes them (uncompressed from the classic image
store). Where the kube kit is absent (kind on a laptop or GitHub Actions), busybox comes from Docker Hub."""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
import urllib.error
from dataclasses import dataclass, field
from pathlib import Path

from tasks.cluster import registry
from tasks.cluster.layout import Layout
from tasks.cluster.progress import ClusterError, Log

BUSYBOX_TAG = "1.35"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
# Uncompressed layers: gzip costs seconds of CPU per 100 MB, for bytes that only cross the loopback.
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar"
DOCKER_GZIP_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"


@dataclass
class Image:
    """A FROM-scratch image: files (path in image -> (source, mode)), directories, symlinks and config."""

    files: dict[str, tuple[Path, int]] = field(default_factory=dict)
    dirs: dict[str, int] = field(default_factory=dict)
    symlinks: dict[str, str] = field(default_factory=dict)
    config: dict = field(default_factory=dict)

    def layer(self) -> bytes:
        entries: dict[str, tarfile.TarInfo] = {}
        payload: dict[str, bytes] = {}

        def add(name: str, kind: bytes, mode: int = 0o755, link: str = "") -> tarfile.TarInfo:
            parts = name.split("/")
            for depth in range(1, len(parts)):  # parent directories first, as tar readers expect
                parent = "/".join(parts[:depth])
                if parent not in entries:
                    add(parent, tarfile.DIRTYPE, self.dirs.get(parent, 0o755))
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.linkname, info.mtime = kind, mode, link, 0
            entries[name] = info
            return info

        for name, mode in self.dirs.items():
            add(name, tarfile.DIRTYPE, mode)
        for name, (source, mode) in self.files.items():
            payload[name] = source.read_bytes()
            add(name, tarfile.REGTYPE, mode).size = len(payload[name])
        for name, target in self.symlinks.items():
            add(name, tarfile.SYMTYPE, 0o777, target)
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in sorted(entries):  # sorted, mtime 0: the same files give the same digest
                tar.addfile(entries[name], io.BytesIO(payload[name]) if name in payload else None)
        return raw.getvalue()


def push(reg: str, repo: str, tag: str, image: Image, mount_from: str = "") -> None:
    """Push IMAGE as REPO:TAG (blobs already there, or mountable from MOUNT_FROM, are not uploaded again)."""
    layer = image.layer()
    config = {
        "architecture": "amd64",
        "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [registry.digest_of(layer)]},
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], **image.config},
    }
    blobs = []
    for blob, media_type in ((json.dumps(config, sort_keys=True).encode(), OCI_CONFIG), (layer, OCI_LAYER)):
        digest = registry.digest_of(blob)
        registry.push_blob(reg, repo, blob, len(blob), digest, mount_from)
        blobs.append({"mediaType": media_type, "size": len(blob), "digest": digest})
    manifest = {"schemaVersion": 2, "mediaType": registry.OCI_MANIFEST, "config": blobs[0], "layers": blobs[1:]}
    registry.put_manifest(reg, repo, tag, manifest)


def push_from_docker(reg: str, repo: str, tag: str, ref: str, docker_client: str, workdir: Path) -> None:
    """Push REF from the Docker engine as REPO:TAG, its layers as `docker save` writes them (uncompressed
    from the classic image store).

    `docker push` gzips every layer on one core: 40 s for the 560 MB PostgreSQL stand-in here, against
    about 10 s this way; the cluster's pulls then skip gunzip too.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    archive = workdir / f"{repo.replace('/', '_')}.tar"
    try:
        with archive.open("wb") as out:
            saved = subprocess.run([docker_client, "save", ref], stdout=out, stderr=subprocess.PIPE, check=False)
        if saved.returncode != 0:
            raise ClusterError(f"docker save {ref} failed: {saved.stderr.decode().strip()}")
        with tarfile.open(archive) as tar:
            (entry,) = json.loads(tar.extractfile("manifest.json").read())
            config = tar.extractfile(entry["Config"]).read()
            layers = []
            for name in entry["Layers"]:
                member = tar.getmember(name)
                media_type = _layer_media_type(tar.extractfile(member).read(4), ref)
                digest = registry.digest_of(tar.extractfile(member))
                registry.push_blob(reg, repo, tar.extractfile(member), member.size, digest)
                layers.append({"mediaType": media_type, "size": member.size, "digest": digest})
        config_digest = registry.digest_of(config)
        registry.push_blob(reg, repo, config, len(config), config_digest)
        config_ref = {"mediaType": DOCKER_CONFIG, "size": len(config), "digest": config_digest}
        manifest = {"schemaVersion": 2, "mediaType": registry.DOCKER_MANIFEST, "config": config_ref, "layers": layers}
        registry.put_manifest(reg, repo, tag, manifest)
    except urllib.error.HTTPError as error:
        raise ClusterError(f"pushing {ref} to {reg} failed: HTTP {error.code}") from None
    finally:
        archive.unlink(missing_ok=True)


def _layer_media_type(head: bytes, ref: str) -> str:
    """A saved layer as it is: a tar from the classic image store, or the gzip blob Docker's containerd image
    store keeps of a pulled image (its manifest names the compressed digest, its config the tar's)."""
    if head.startswith(b"\x1f\x8b"):
        return DOCKER_GZIP_LAYER
    if head.startswith(b"\x28\xb5\x2f\xfd"):
        raise ClusterError(f"{ref} has zstd-compressed layers, which this push cannot send: use a gzip or plain image")
    return DOCKER_LAYER


def pull(ref: str, log: Log, hint: str = "") -> None:
    """REF in the Docker engine: `docker pull` it (from Docker Hub, for a plain name) unless it is there."""
    if subprocess.run(["docker", "image", "inspect", ref], capture_output=True, check=False).returncode == 0:
        return
    log(f"docker pull {ref}")
    try:
        pulled = subprocess.run(
            ["docker", "pull", "--quiet", ref], capture_output=True, text=True, timeout=900, check=False
        )
        detail = (pulled.stderr.strip() or pulled.stdout.strip()).splitlines()[-1:] or ["no output"]
        failed = pulled.returncode != 0
    except subprocess.TimeoutExpired:
        detail, failed = ["no answer within 900 s"], True
    if failed:
        raise ClusterError(f"docker pull {ref} failed: {detail[0]}{f' ({hint})' if hint else ''}")


def busybox(kit_dir: Path) -> Image:
    """Debian's static busybox with its applets as symlinks, and an /etc/passwd: sh, wget, nc, httpd..."""
    source = kit_dir / "images" / "busybox"
    listed = subprocess.run([str(source / "busybox"), "--list-full"], capture_output=True, text=True, check=True)
    links = {path: "/bin/busybox" for path in listed.stdout.split() if path != "bin/busybox"}
    return Image(
        files={
            "bin/busybox": (source / "busybox", 0o755),
            "etc/passwd": (source / "etc" / "passwd", 0o644),
            "etc/group": (source / "etc" / "group", 0o644),
        },
        dirs={
            **dict.fromkeys(("bin", "sbin", "usr", "usr/bin", "usr/sbin", "home"), 0o755),
            "tmp": 0o1777,
            "root": 0o700,
            "home/app": 0o777,
        },
        symlinks=links,
        config={"Cmd": ["/bin/sh"]},
    )


def ensure_busybox(layout: Layout, log: Log) -> None:
    """busybox:1.35 as REGISTRY/busybox and, for the docker.io mirror, REGISTRY/library/busybox (so manifests
    may say plain `busybox:1.35`): Debian's static busybox from the kube kit's files, or Docker Hub's image
    where the kube kit is absent. Whatever the registry holds already is left alone."""
    reg = layout.registry
    missing = [repo for repo in ("busybox", "library/busybox") if not registry.has(reg, repo, BUSYBOX_TAG)]
    if not missing:
        return
    if (layout.kit_dir / "images" / "busybox" / "busybox").is_file():
        image = busybox(layout.kit_dir)
        for repo in missing:
            push(reg, repo, BUSYBOX_TAG, image, mount_from="busybox" if repo != "busybox" else "")
        return
    ref = f"busybox:{BUSYBOX_TAG}"
    pull(ref, log, "without Docker Hub, set SHIPYARD_KUBE_DIR to the kube kit's folder: its busybox needs no registry")
    for repo in missing:
        push_from_docker(reg, repo, BUSYBOX_TAG, ref, "docker", layout.run_dir / "tmp")
    log(f"registry {reg}: {ref} from Docker Hub pushed as {', '.join(f'{repo}:{BUSYBOX_TAG}' for repo in missing)}")
