"""Tilt's run step for a changed dev lock (app/devtools/dev_lock.py), with the real pip of this venv.

A made-up package, as wheels in a local directory the lock points pip at (--no-index), stands in for a
new dev dependency; a pin this venv already has stands in for the rest of the lock.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from tasks.paths import APP

pytestmark = pytest.mark.slow  # pip starts twice per run


def wheel(directory: Path, release: str, *only_here: str) -> None:
    dist = f"shipyard_probe-{release}"
    files = {
        "shipyard_probe/__init__.py": f"VERSION = {release!r}\n",
        **{f"shipyard_probe/{name}": "" for name in only_here},
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: shipyard-probe\nVersion: {release}\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files[f"{dist}.dist-info/RECORD"] = "".join(f"{name},,\n" for name in [*files, f"{dist}.dist-info/RECORD"])
    with zipfile.ZipFile(directory / f"{dist}-py3-none-any.whl", "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)


@pytest.fixture
def place(tmp_path) -> dict[str, Path]:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    wheel(wheels, "1.0", "dropped_in_2.py")
    wheel(wheels, "2.0")
    return {"wheels": wheels, "lock": tmp_path / "dev.txt", "target": tmp_path / "dev-packages"}


def lock(place: dict[str, Path], *pins: str) -> str:
    options = f"--no-index\n--find-links {place['wheels']}\n"
    place["lock"].write_text(options + "".join(f"{pin}\n" for pin in pins))
    return str(place["lock"])


def dev_lock(place: dict[str, Path], *args: str, on_path: bool = True) -> subprocess.CompletedProcess:
    env = {"DEV_PACKAGES": str(place["target"]), "PATH": "/usr/bin:/bin"}
    if on_path:
        env["PYTHONPATH"] = str(place["target"])
    argv = [sys.executable, "-m", "devtools.dev_lock", *args]
    return subprocess.run(argv, cwd=APP, env=env, capture_output=True, text=True, timeout=120)


def probe_version(place: dict[str, Path]) -> str:
    env = {"PYTHONPATH": str(place["target"])}
    argv = [sys.executable, "-c", "import shipyard_probe; print(shipyard_probe.VERSION)"]
    return subprocess.run(argv, env=env, capture_output=True, text=True, check=True).stdout.strip()


def test_a_new_pin_is_installed_beside_the_venv_and_a_met_one_is_not(place):
    installed = f"invoke=={version('invoke')}"
    ran = dev_lock(place, lock(place, installed, "shipyard-probe==1.0"))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == f"dev lock: installed shipyard-probe==1.0 into {place['target']}"
    assert probe_version(place) == "1.0"
    assert not list(place["target"].glob("invoke*")), "a pin the venv meets is not installed again"

    again = dev_lock(place, str(place["lock"]))
    assert (again.returncode, again.stdout.strip()) == (0, "dev lock: every pin is installed")


def test_a_pin_moved_replaces_what_the_step_installed_before(place):
    assert dev_lock(place, lock(place, "shipyard-probe==1.0")).returncode == 0
    moved = dev_lock(place, lock(place, "shipyard-probe==2.0"))
    assert moved.returncode == 0, moved.stderr
    assert probe_version(place) == "2.0"
    assert [p.name for p in place["target"].glob("shipyard_probe-*.dist-info")] == ["shipyard_probe-2.0.dist-info"]
    assert not (place["target"] / "shipyard_probe" / "dropped_in_2.py").exists()
    assert (place["target"] / "shipyard_probe" / "__init__.py").exists()


def test_a_pin_no_index_has_fails_in_one_line_and_installs_nothing(place):
    ran = dev_lock(place, lock(place, "shipyard-probe==9.9"))
    assert ran.returncode == 1
    assert ran.stderr.count("\n") == 1 and "dev lock: pip could not read" in ran.stderr, ran.stderr
    assert "shipyard-probe==9.9" in ran.stderr, ran.stderr
    assert not place["target"].exists()


@pytest.mark.parametrize(
    "args, on_path, says",
    [
        ((), True, "usage: python -m devtools.dev_lock LOCK"),
        (("/nonexistent/dev.txt",), True, "/nonexistent/dev.txt not found"),
        (("LOCK",), False, "is not on PYTHONPATH"),
    ],
)
def test_bad_input_is_refused_in_one_line(place, args, on_path, says):
    args = tuple(lock(place, "shipyard-probe==1.0") if a == "LOCK" else a for a in args)
    ran = dev_lock(place, *args, on_path=on_path)
    assert ran.returncode == 2
    assert ran.stderr.count("\n") == 1 and says in ran.stderr, ran.stderr
    assert not place["target"].exists()
