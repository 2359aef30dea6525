"""Tilt's run step for a changed dev lock: install what it adds or pins anew, beside the image's venv.

The dev pods run the image's /opt/venv as built, read-only as in prod (copying its 144 MiB into a
writable volume at every pod start cost 4-6 CPU seconds a pod). What a changed requirements/dev.txt
adds or pins anew goes into DEV_PACKAGES instead: an emptyDir that the dev overlay puts first on
PYTHONPATH, so it shadows the venv's copy. pip decides what is unmet, counting what is on sys.path,
so an edit that changes no pin installs nothing and asks no index.

Usage: python -m devtools.dev_lock /tmp/requirements/dev.txt
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from email.parser import HeaderParser
from pathlib import Path

DEV_PACKAGES = os.environ.get("DEV_PACKAGES", "/opt/dev-packages")


def pip(*args: str) -> subprocess.CompletedProcess:
    argv = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    return subprocess.run(argv, capture_output=True, text=True)


class PipFailed(Exception):
    def __init__(self, what: str, result: subprocess.CompletedProcess):
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
        super().__init__(f"dev lock: pip could not {what}: {lines[-1]}")


def unmet(lock: str) -> list[str]:
    """name==version for each pin of LOCK that nothing on sys.path satisfies."""
    result = pip("install", "--dry-run", "--no-deps", "--quiet", "--report", "-", "-r", lock)
    if result.returncode:
        raise PipFailed(f"read {lock}", result)
    return [f"{i['metadata']['name']}=={i['metadata']['version']}" for i in json.loads(result.stdout)["install"]]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def drop_replaced(pins: list[str]) -> None:
    """pip's --target --upgrade moves the new release's files in but leaves the old release's metadata (and
    any file only the old one had) beside them, where both would count as installed: remove those."""
    target = Path(DEV_PACKAGES).resolve()
    wanted = {canonical(name): release for name, release in (pin.split("==") for pin in pins)}
    new, old = [], []
    for info in target.glob("*.dist-info"):
        meta = HeaderParser().parsestr((info / "METADATA").read_text())
        name = canonical(meta["Name"])
        if name in wanted:
            (new if meta["Version"] == wanted[name] else old).append(info)
    kept = {entry for info in new for entry in recorded(info)}
    for info in old:
        for entry in recorded(info) - kept:
            path = (target / entry).resolve()
            if path.is_relative_to(target) and path.is_file():
                path.unlink()
        shutil.rmtree(info, ignore_errors=True)


def recorded(info: Path) -> set[str]:
    """The paths, relative to the install's root, that a dist-info's RECORD lists."""
    return {line.split(",")[0] for line in (info / "RECORD").read_text().splitlines() if line}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m devtools.dev_lock LOCK (e.g. /tmp/requirements/dev.txt)", file=sys.stderr)
        return 2
    lock = argv[1]
    if not os.path.isfile(lock):
        print(f"dev lock: {lock} not found; sync requirements/dev.txt there first", file=sys.stderr)
        return 2
    if DEV_PACKAGES not in sys.path:
        print(
            f"dev lock: {DEV_PACKAGES} is not on PYTHONPATH; run it in a dev pod (k8s/overlays/dev sets it)",
            file=sys.stderr,
        )
        return 2
    try:
        pins = unmet(lock)
        if pins:
            # The lock's own options (an index, --find-links) still apply: pass it as a constraint.
            result = pip("install", "--no-deps", "--quiet", "--upgrade", "--target", DEV_PACKAGES, "-c", lock, *pins)
            if result.returncode:
                raise PipFailed(f"install {' '.join(pins)}", result)
            drop_replaced(pins)
    except PipFailed as error:
        print(error, file=sys.stderr)
        return 1
    print(f"dev lock: installed {' '.join(pins)} into {DEV_PACKAGES}" if pins else "dev lock: every pin is installed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
