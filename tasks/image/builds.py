"""Build the app image targets (`dev`, `prod`) with BuildKit: the API tests and benchmarks import.

Which base image (the BASE_IMAGE build argument):
  base_image given   -> that image
  offline=True       -> shipyard-base:bookworm, bootstrapped from Debian first if missing
  offline=False      -> the official python:3.11-slim-bookworm (Docker pulls it if missing)
  offline=None       -> a local image, never a pull: shipyard-base:bookworm if it exists, else
                        the official image if it exists, else shipyard-base bootstrapped now
A build never reaches for a container registry unless asked to (offline=False, `--online`):
on a host without one (this project's CI) that would fail, or worse, hang.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from invoke.exceptions import Exit

from tasks.image.debian_base import BASE_TAG, ensure_base
from tasks.image.docker_engine import (
    Builder,
    DockerError,
    Log,
    build_env,
    builder,
    image_exists,
    image_id,
    image_size,
    mib,
    remove_if_dangling,
    say,
)
from tasks.paths import ROOT

IMAGE = "shipyard-app"
TARGETS = ("dev", "prod")
OFFICIAL_BASE = "python:3.11-slim-bookworm"
# TLS to the package index may be intercepted by a proxy whose CA only the host trusts.
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
CA_SECRET_ID = "host_ca"  # the Dockerfile mounts it with --mount=type=secret,id=host_ca

_STEP = re.compile(r"^#(\d+) \[([\w-]+) +\d+/\d+\] (.*)$")
_CACHED = re.compile(r"^#(\d+) CACHED$")


@dataclass(frozen=True)
class BuildResult:
    """What one build produced, and which Dockerfile steps came from the cache."""

    target: str
    tag: str
    image_id: str
    base_image: str
    size: int
    seconds: float
    steps: dict[str, bool] = field(default_factory=dict)  # "[deps] RUN ..." -> cached?

    def summary(self) -> str:
        return f"{self.tag}: {mib(self.size)}, {self.seconds:.1f}s, {self.image_id[7:19]} on {self.base_image}"

    def cached(self, stage: str) -> bool:
        """True when every step of `stage` came from the cache (FROM lines are never reported cached)."""
        own = [hit for name, hit in self.steps.items() if name.startswith(f"[{stage}] ") and " FROM " not in name]
        return bool(own) and all(own)


def tag_for(target: str) -> str:
    return f"{IMAGE}:{target}"


def choose_base(offline: bool | None = None, base_image: str | None = None, log: Log = say) -> str:
    """The BASE_IMAGE build argument, per the rules in this module's docstring."""
    if base_image:
        return base_image
    if offline is False:
        return OFFICIAL_BASE
    if offline is None and not image_exists(BASE_TAG) and image_exists(OFFICIAL_BASE):
        return OFFICIAL_BASE
    ensure_base(log=log)
    return BASE_TAG


def build(
    target: str = "prod",
    *,
    offline: bool | None = None,
    base_image: str | None = None,
    tag: str | None = None,
    context: Path = ROOT,
    log: Log = say,
    verbose: bool = False,
) -> BuildResult:
    """Build one target of the Dockerfile in `context`; return what it produced.

    Progress goes to `log` (step lines only unless verbose); a failure raises DockerError
    after logging the tail of BuildKit's output.
    """
    if target not in TARGETS:
        raise DockerError(f"unknown target {target!r}: use one of {', '.join(TARGETS)}")
    tag = tag or tag_for(target)
    base = choose_base(offline, base_image, log)
    b = builder()
    previous = image_id(tag) if image_exists(tag) else None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shipyard-build-") as scratch:
        iidfile = Path(scratch) / "iid"
        argv = [
            *b.argv,
            "--progress",
            "plain",
            "--network",
            "host",
            "--target",
            target,
            "--tag",
            tag,
            "--iidfile",
            str(iidfile),
            "--build-arg",
            f"BASE_IMAGE={base}",
            "--file",
            str(context / "Dockerfile"),
        ]
        if HOST_CA.is_file():
            argv += ["--secret", f"id={CA_SECRET_ID},src={HOST_CA}"]
        log(f"building {tag} (target {target}) on {base} with {b.describe()}")
        steps = _run_build([*argv, str(context)], b, log, verbose)
        new_id = iidfile.read_text().strip()
    seconds = time.monotonic() - started
    if previous and previous != new_id:
        remove_if_dangling(previous)
    return BuildResult(target, tag, new_id, base, image_size(tag), seconds, steps)


def _run_build(argv: list[str], b: Builder, log: Log, verbose: bool) -> dict[str, bool]:
    names: dict[str, str] = {}
    cached: set[str] = set()
    tail: deque[str] = deque(maxlen=25)
    proc = subprocess.Popen(
        argv, env=build_env(b), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
    )
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.rstrip("\n")
        tail.append(line)
        step, hit = _STEP.match(line), _CACHED.match(line)
        if step:
            names[step.group(1)] = f"[{step.group(2)}] {step.group(3)}"
        if hit:
            cached.add(hit.group(1))
        if verbose or step or hit:
            log(line[:160])
    if proc.wait() != 0:
        if not verbose:
            for line in tail:
                log(line)
        last = next((line for line in reversed(tail) if line.strip()), "no output")
        raise DockerError(f"docker build failed (exit {proc.returncode}): {last[:200]}")
    return {name: number in cached for number, name in names.items()}


def offline_choice(offline: bool, online: bool) -> bool | None:
    """--offline / --online as choose_base() takes them: True, False, or None for 'whatever exists'."""
    if offline and online:
        raise Exit("--offline and --online contradict each other: pass at most one", code=1)
    return True if offline else False if online else None
