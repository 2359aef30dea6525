"""`invoke image.*`: build the app images and their air-gapped base, lint and measure them.

A thin layer over builds.py, debian_base.py and measurements.py beside it, which tests and
benchmarks import directly.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from invoke import Context, task
from invoke.exceptions import Exit

from tasks.image import builds, debian_base, measurements
from tasks.image.docker_engine import docker, image_exists, image_size, mib
from tasks.paths import ROOT


@task(
    help={
        "offline": "bootstrap shipyard-base:bookworm from the host's Debian mirror (no registry needed)",
        "force": "rebuild even if the image exists",
    }
)
def base(c: Context, offline: bool = False, force: bool = False) -> None:
    """Make the base image exist: debootstrap one (--offline) or pull python:3.11-slim-bookworm."""
    started = time.monotonic()
    if offline:
        debian_base.ensure_base(force=force)
        ref = debian_base.BASE_TAG
    else:
        ref = builds.OFFICIAL_BASE
        if force or not image_exists(ref):
            print(f"pulling {ref} (no registry reachable? use --offline)", flush=True)
            docker("pull", ref)
    print(f"base image {ref}: {mib(image_size(ref))}, {time.monotonic() - started:.1f}s")


@task(
    help={
        "target": "dev or prod (tags shipyard-app:dev / shipyard-app:prod)",
        "offline": "build on shipyard-base:bookworm, bootstrapping it first if missing",
        "online": "build on the official python:3.11-slim-bookworm, pulling it if missing",
        "base-image": "any other Debian-based Python 3.11 image",
        "verbose": "show BuildKit's whole output, not just the steps",
    }
)
def build(
    c: Context,
    target: str = "prod",
    offline: bool = False,
    online: bool = False,
    base_image: str = "",
    verbose: bool = False,
) -> None:
    """Build shipyard-app:dev or :prod on a local base image (never pulls unless --online)."""
    if target not in builds.TARGETS:
        raise Exit(f"unknown --target {target!r}: use --target dev or --target prod", code=1)
    result = builds.build(
        target, offline=builds.offline_choice(offline, online), base_image=base_image or None, verbose=verbose
    )
    print(result.summary())


@task
def lint(c: Context) -> None:
    """Lint the Dockerfile with hadolint (rules and justified ignores in .hadolint.yaml)."""
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    result = subprocess.run([hadolint, "Dockerfile"], cwd=ROOT)
    if result.returncode != 0:
        raise Exit("hadolint found problems in Dockerfile (listed above)", code=1)
    print("Dockerfile: hadolint clean")


@task(
    help={
        "cold": "also time a cold build: empties the BuildKit cache first (docker builder prune --all)",
        "offline": "use shipyard-base:bookworm (bootstrapping it if missing)",
    }
)
def measure(c: Context, cold: bool = False, offline: bool = False) -> None:
    """Report image sizes and prod build times: cold (--cold) and code-only rebuild."""
    flag = True if offline else None
    if cold:
        cold_result = measurements.cold_build("prod", offline=flag)
        print(f"cold build: {cold_result.summary()}")
    elif not image_exists(builds.tag_for("prod")):
        builds.build("prod", offline=flag)
    rebuild = measurements.code_only_rebuild("prod", offline=flag)
    deps = "cached" if rebuild.cached("deps") and rebuild.cached("prod-venv") else "REBUILT"
    print(f"code-only rebuild: {rebuild.seconds:.1f}s (dependency layers {deps})")
    print(measurements.sizes().line())
