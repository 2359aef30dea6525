"""Images the tests need, built once per session through tasks/image/builds.py (BuildKit's cache
makes a rebuild of an unchanged image take about a second).

They build on the debootstrap base (offline): it needs only the host's Debian mirror, so the
suite passes on a fresh machine that cannot reach a container registry.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tasks.image import builds, debian_base
from tasks.image.builds import BuildResult
from tests.support.needs import need


class BuildLog(list):
    """Collects a build's progress lines; shown only if the build fails."""

    def __call__(self, line: str) -> None:
        self.append(line)


def _build(target: str) -> BuildResult:
    log = BuildLog()
    try:
        return builds.build(target, offline=True, log=log)
    except Exception as error:
        pytest.fail(f"building {target} failed: {error}\n" + "\n".join(log[-30:]), pytrace=False)


@pytest.fixture(scope="session")
def base_image() -> str:
    """shipyard-base:bookworm, bootstrapped if missing; its tag."""
    need("root", os.geteuid() == 0, "debootstrap needs root: run the tests as root (CI does)")
    need("debootstrap", shutil.which("debootstrap") is not None, "apt-get install debootstrap")
    debian_base.ensure_base(log=BuildLog())
    return debian_base.BASE_TAG


@pytest.fixture(scope="session")
def prod_image(base_image: str) -> BuildResult:
    return _build("prod")


@pytest.fixture(scope="session")
def dev_image(base_image: str) -> BuildResult:
    return _build("dev")
