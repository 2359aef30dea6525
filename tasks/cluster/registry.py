"""The test cluster's local image registry, plain HTTP on loopback (kind's registry container, or Debian's
docker-registry on binaries): the few calls of its API `invoke cluster.*` makes (is it up, has it an image,
push), and who holds a port."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import urllib.error
import urllib.request
from typing import BinaryIO

from tasks.cluster.progress import ClusterError

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ACCEPT = f"{OCI_MANIFEST}, {DOCKER_MANIFEST}"
# Straight to the loopback registry, whatever HTTP(S)_PROXY says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _request(method: str, url: str, data=None, headers: dict[str, str] | None = None):
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    return _OPENER.open(request, timeout=120)


def answers(registry: str) -> bool:
    try:
        with _request("GET", f"http://{registry}/v2/") as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def has(registry: str, repo: str, tag: str) -> bool:
    """The registry holds REPO:TAG."""
    try:
        with _request("HEAD", f"http://{registry}/v2/{repo}/manifests/{tag}", headers={"Accept": ACCEPT}):
            return True
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return False
        raise ClusterError(f"registry {registry} answered {error.code} for {repo}:{tag}") from None
    except (urllib.error.URLError, OSError) as error:
        raise ClusterError(f"registry {registry} does not answer ({error})") from None


def digest_of(source: bytes | BinaryIO) -> str:
    digest = hashlib.sha256()
    if isinstance(source, bytes):
        digest.update(source)
    else:
        for chunk in iter(lambda: source.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def push_blob(registry: str, repo: str, source: bytes | BinaryIO, size: int, digest: str, mount_from: str = "") -> None:
    """Upload SIZE bytes of SOURCE as blob DIGEST in one request, unless the registry has it (or can mount it
    from repository MOUNT_FROM)."""
    base = f"http://{registry}/v2/{repo}/blobs"
    try:
        _request("HEAD", f"{base}/{digest}").close()
        return
    except urllib.error.HTTPError:
        pass
    query = f"?mount={digest}&from={mount_from}" if mount_from else ""
    with _request("POST", f"{base}/uploads/{query}") as response:
        if response.status == 201:  # mounted: nothing to upload
            return
        location = response.headers["Location"]
    if location.startswith("/"):
        location = f"http://{registry}{location}"
    location += ("&" if "?" in location else "?") + f"digest={digest}"
    headers = {"Content-Type": "application/octet-stream", "Content-Length": str(size)}
    _request("PUT", location, source, headers).close()


def put_manifest(registry: str, repo: str, tag: str, manifest: dict) -> None:
    try:
        body = json.dumps(manifest).encode()
        url = f"http://{registry}/v2/{repo}/manifests/{tag}"
        _request("PUT", url, body, {"Content-Type": manifest["mediaType"]}).close()
    except urllib.error.HTTPError as error:
        detail = error.read()[:200].decode(errors="replace")
        raise ClusterError(f"pushing {registry}/{repo}:{tag} failed: HTTP {error.code} {detail}") from None


def listener(port: int) -> str | None:
    """Who listens on TCP PORT (any address), as ss names it; None when nobody does."""
    result = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True, check=False)
    line = result.stdout.strip()
    if not line:
        return None
    found = re.search(r'"([^"]+)",pid=(\d+)', line)
    return f"{found[1]} (pid {found[2]})" if found else "another process"
