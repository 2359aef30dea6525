"""Talk to the local Docker engine: find a client that can use BuildKit, inspect and run images.

When the buildx plugin is missing (Debian's docker.io 20.10 ships none), a client of 23 or
newer refuses BuildKit; so builds go through buildx when it exists, else through a client older
than 23 that drives the daemon's built-in BuildKit (DOCKER_BUILDKIT=1).
No `# syntax=` line anywhere: that would pull a frontend image from a registry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from invoke.exceptions import Exit

Log = Callable[[str], None]  # where long operations report progress, one line at a time


def say(line: str) -> None:
    """The default Log: print at once, so progress shows while a build runs."""
    print(line, flush=True)


# Debian's docker.io client; a newer client installed in /usr/local/bin shadows it on PATH.
CLASSIC_CLIENTS = ("docker", "/usr/bin/docker")


class DockerError(Exit):
    """A docker command failed: one line for the user, non-zero exit, no traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=1)

    def __str__(self) -> str:  # invoke's Exit keeps the message out of args; tests want to see it
        return self.message or ""


@dataclass(frozen=True)
class Builder:
    """How to run `docker build` with BuildKit with the clients that are installed."""

    argv: tuple[str, ...]  # e.g. ("docker", "buildx", "build", "--load") or ("/usr/bin/docker", "build")
    env: dict[str, str]

    def describe(self) -> str:
        return " ".join(self.argv) + (" (DOCKER_BUILDKIT=1)" if self.env else "")


def _run(argv: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, **kwargs)


def docker(*args: str) -> str:
    """Run `docker ARGS` and return its stdout; a failure raises DockerError with its stderr."""
    if shutil.which("docker") is None:
        raise DockerError("docker is not installed: run ./bin/setup (apt-get install docker.io)")
    result = _run(["docker", *args])
    if result.returncode != 0:
        detail = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise DockerError(f"docker {args[0]} failed: {detail[-1] if detail else 'no output'}")
    return result.stdout


def docker_quiet(*args: str) -> bool:
    """Run `docker ARGS` for a best-effort cleanup: True when it worked, never raises."""
    return shutil.which("docker") is not None and _run(["docker", *args]).returncode == 0


def remove_if_dangling(ref: str) -> None:
    """Remove an image a new build replaced under its tag, unless it has another tag or is gone.

    Best effort: another build (a parallel test run) may have removed it or still use it.
    """
    tags = _run(["docker", "image", "inspect", "--format", "{{len .RepoTags}}", ref])
    if tags.returncode == 0 and tags.stdout.strip() == "0":
        docker_quiet("image", "rm", ref)


def _client_major(client: str) -> int | None:
    result = _run([client, "version", "--format", "{{.Client.Version}}"])
    version = result.stdout.strip()
    if not version or not version.split(".")[0].isdigit():
        return None
    return int(version.split(".")[0])


@cache
def builder() -> Builder:
    """The BuildKit-capable build command: buildx if installed, else a pre-23 client."""
    if shutil.which("docker") and _run(["docker", "buildx", "version"]).returncode == 0:
        return Builder(("docker", "buildx", "build", "--load"), {})
    for client in CLASSIC_CLIENTS:
        path = shutil.which(client)
        if path is None:
            continue
        major = _client_major(path)
        if major is not None and major < 23:
            return Builder((path, "build"), {"DOCKER_BUILDKIT": "1"})
    raise DockerError(
        "no docker client can build with BuildKit: install the buildx plugin (apt-get install docker-buildx) "
        "or Debian's docker.io client (/usr/bin/docker)"
    )


def buildkit_client_not_on_path(path: str | None = None) -> str | None:
    """The BuildKit-capable docker client, when the `docker` first on PATH is not it (a client of 23+ without
    buildx, which refuses skaffold's and Tilt's BuildKit builds); None when PATH's is fine or none can build."""
    try:
        b = builder()
    except DockerError:
        return None
    client = b.argv[0]
    if b.argv[1] != "build" or not os.path.dirname(client):
        return None  # buildx: PATH's docker builds
    first = shutil.which("docker", path=path)
    return None if first and os.path.realpath(first) == os.path.realpath(client) else client


def build_env(b: Builder) -> dict[str, str]:
    return {**os.environ, **b.env}


def image_exists(ref: str) -> bool:
    return _run(["docker", "image", "inspect", ref]).returncode == 0


def inspect(ref: str) -> dict:
    """`docker image inspect` of one image, as a dict."""
    return json.loads(docker("image", "inspect", ref))[0]


def image_id(ref: str) -> str:
    return inspect(ref)["Id"]


def image_size(ref: str) -> int:
    """Uncompressed size in bytes, base layers included (what `docker images` shows)."""
    return int(inspect(ref)["Size"])


def run_in(
    ref: str,
    *argv: str,
    env: dict[str, str] | None = None,
    user: str | None = None,
    read_only: bool = False,
    timeout: float = 120,
) -> subprocess.CompletedProcess:
    """Run ARGV in a throwaway container of REF on the host network; never raises on exit code.

    read_only runs it as Kubernetes will: read-only root filesystem, only /tmp writable.
    """
    cmd = ["docker", "run", "--rm", "--network", "host"]
    if read_only:
        cmd += ["--read-only", "--tmpfs", "/tmp"]
    for name, value in (env or {}).items():
        cmd += ["-e", f"{name}={value}"]
    if user is not None:
        cmd += ["--user", user]
    return _run([*cmd, ref, *argv], timeout=timeout)


def mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"
