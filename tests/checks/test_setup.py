"""bin/setup, the first step of ./bin/up and ./bin/test: without root, missing packages are one line with the
exact command to run, and nothing is half made."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tasks.paths import ROOT


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """bin/ and the toolchain's lock, where an unprivileged user can read them."""
    copy = tmp_path / "main"
    (copy / "requirements").mkdir(parents=True)
    shutil.copytree(ROOT / "bin", copy / "bin")
    shutil.copy(ROOT / "requirements" / "tools.txt", copy / "requirements")
    for path in (tmp_path, *tmp_path.parents):
        if path == Path("/"):
            break
        path.chmod(path.stat().st_mode | 0o005)  # others may enter (pytest's tmp folders are 0700)
    return copy


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("runuser") is None, reason="needs root to run as nobody")
def test_without_root_missing_packages_are_one_line_with_the_exact_command(checkout):
    # /usr/sbin off PATH: dockerd and debootstrap are "missing" for nobody, as on a machine without them.
    as_nobody = ["runuser", "-u", "nobody", "--", "env", "PATH=/usr/bin:/bin", "HOME=/nonexistent"]
    result = subprocess.run(
        [*as_nobody, "bash", "bin/setup", "--loop"], cwd=checkout, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("setup: missing Debian packages "), line
    missing = line.split("setup: missing Debian packages ", 1)[1].split(":", 1)[0]
    assert {"docker.io", "debootstrap"} <= set(missing.split()), line
    assert line.endswith(
        f"run `sudo apt-get update && sudo apt-get install -y --no-install-recommends {missing}`, then run this again"
    ), line
    assert not (checkout / ".venv").exists()  # stopped before the toolchain


def test_an_unknown_option_is_one_line_and_exit_2(checkout):
    result = subprocess.run(["bash", "bin/setup", "--lop"], cwd=checkout, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("setup: unknown option '--lop'; use no option (toolchain only), --loop")
    assert not (checkout / ".venv").exists()
