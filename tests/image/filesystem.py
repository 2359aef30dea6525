"""Read an image's files as stored in its layers (not as a running container sees them:
docker mounts its own /etc/hosts, /etc/resolv.conf and /etc/hostname over them)."""

from __future__ import annotations

import json
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def created(image: str) -> Iterator[str]:
    """A container of IMAGE that is created but never started; removed afterwards."""
    container = subprocess.run(
        ["docker", "create", "--network", "none", image], capture_output=True, text=True, check=True
    ).stdout.strip()
    try:
        yield container
    finally:
        subprocess.run(["docker", "rm", "--force", container], capture_output=True)


def read_file(image: str, path: str) -> bytes | None:
    """The content of one regular file as IMAGE's layers leave it, or None when it is absent.

    From `docker save`, because even a never-started container has docker's empty
    placeholders at /etc/hosts, /etc/resolv.conf and /etc/hostname.
    """
    wanted = path.lstrip("/")
    parent, _, name = wanted.rpartition("/")
    whiteout = f"{parent}/.wh.{name}" if parent else f".wh.{name}"
    content: bytes | None = None
    for inner in _layers(image):  # lowest first: a later layer wins
        # `docker import` layers name their files "./etc/...", BuildKit's "etc/...".
        members = {m.name.removeprefix("./"): m for m in inner.getmembers()}
        if whiteout in members:
            content = None
        if wanted in members:
            member = inner.extractfile(members[wanted])
            content = member.read() if member else None
    return content


def regular_files(image: str) -> Iterator[tuple[str, bytes]]:
    """(path, content) of every regular file in IMAGE, streamed from `docker export`."""
    with created(image) as container:
        export = subprocess.Popen(["docker", "export", container], stdout=subprocess.PIPE)
        assert export.stdout is not None
        with tarfile.open(fileobj=export.stdout, mode="r|") as tar:
            for member in tar:
                if member.isfile():
                    extracted = tar.extractfile(member)
                    yield member.name, extracted.read() if extracted else b""
        assert export.wait() == 0


def layer_paths(image: str) -> Iterator[str]:
    """The path of every entry in every layer of IMAGE, deleted ones too (from `docker save`)."""
    for inner in _layers(image):
        yield from (member.name.removeprefix("./") for member in inner.getmembers())


def _layers(image: str) -> Iterator[tarfile.TarFile]:
    """IMAGE's layers from `docker save`, lowest first, each open while the caller reads it."""
    with tempfile.TemporaryFile() as saved:
        subprocess.run(["docker", "save", image], stdout=saved, check=True)
        saved.seek(0)
        with tarfile.open(fileobj=saved) as outer:
            manifest = json.load(outer.extractfile("manifest.json"))  # type: ignore[arg-type]
            for layer in manifest[0]["Layers"]:
                with tarfile.open(fileobj=outer.extractfile(layer)) as inner:
                    yield inner
