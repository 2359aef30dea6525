"""Measure the images: sizes, cold build time, code-only rebuild time (for `image.measure` and bench).

The code-only rebuild changes one file in a scratch copy of the build context, never in app/:
BuildKit keys its cache on file contents, so touching a file (mtime only) would rebuild nothing.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tasks.image.builds import BuildResult, build, tag_for
from tasks.image.docker_engine import DockerError, Log, docker, image_exists, inspect, mib, say
from tasks.paths import ROOT

MEASURE_TAG = "shipyard-app:measure"
# The files the Dockerfile reads; .dockerignore filters app/ exactly as in a real build.
CONTEXT_FILES = ("Dockerfile", ".dockerignore", "requirements/app.txt", "requirements/dev.txt")
CHANGED_FILE = "app/manage.py"


@dataclass(frozen=True)
class Sizes:
    base_image: str
    base: int
    prod: int
    dev: int | None

    @property
    def prod_over_base(self) -> int:
        return self.prod - self.base

    def line(self) -> str:
        dev = mib(self.dev) if self.dev is not None else "not built"
        return (
            f"base {self.base_image} {mib(self.base)}; prod {mib(self.prod)} "
            f"(+{mib(self.prod_over_base)} over base); dev {dev}"
        )


def sizes() -> Sizes:
    """Sizes of the local prod (required) and dev images, and of the base prod was built on."""
    if not image_exists(tag_for("prod")):
        raise DockerError(f"{tag_for('prod')} does not exist: run `invoke image.build --target prod` first")
    prod = inspect(tag_for("prod"))
    base_image = (prod["Config"].get("Labels") or {}).get("org.opencontainers.image.base.name", "")
    if not base_image or not image_exists(base_image):
        raise DockerError(f"the base of {tag_for('prod')} ({base_image or 'no label'}) is not a local image")
    dev = int(inspect(tag_for("dev"))["Size"]) if image_exists(tag_for("dev")) else None
    return Sizes(base_image, int(inspect(base_image)["Size"]), int(prod["Size"]), dev)


def cold_build(target: str = "prod", offline: bool | None = None, log: Log = say) -> BuildResult:
    """Empty BuildKit's cache (layers and the pip cache mount), then build: downloads included."""
    log("pruning the BuildKit cache for a cold build (docker builder prune --all)")
    docker("builder", "prune", "--all", "--force")
    return build(target, offline=offline, log=log)


@contextmanager
def scratch_context() -> Iterator[Path]:
    """A scratch copy of the build context (what the Dockerfile reads), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="shipyard-context-") as scratch:
        context = Path(scratch)
        for name in CONTEXT_FILES:
            (context / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, context / name)
        shutil.copytree(ROOT / "app", context / "app", ignore=shutil.ignore_patterns("__pycache__", "staticfiles"))
        yield context


def code_only_rebuild(target: str = "prod", offline: bool | None = None, log: Log = say) -> BuildResult:
    """Build, change one line of app code in a scratch copy of the context, build again; the second build."""
    with scratch_context() as context:
        build(target, offline=offline, context=context, tag=MEASURE_TAG, log=lambda _: None)  # warm the cache
        with open(context / CHANGED_FILE, "a") as changed:
            changed.write(f"# code-only rebuild marker {context}\n")
        log(f"rebuilding {target} after a one-line change to {CHANGED_FILE} (in a scratch copy)")
        try:
            return build(target, offline=offline, context=context, tag=MEASURE_TAG, log=log)
        finally:
            docker("image", "rm", MEASURE_TAG)
