"""`invoke test --changed [REF]`: the tests that cover the files changed since REF, and why each was chosen.

The map is the repository's own shape: tests/ mirrors tasks/ (tasks/db -> tests/db), each app's tests sit
beside it (app/analysis -> app/analysis/tests), and a test file covers itself. A few files outside those
trees name their tests below. Anything else (settings, shared test support, pyproject.toml) could affect any
test, so it chooses the whole suite: a wrong guess there would pass a change no test ran.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tasks.paths import ROOT

EVERYTHING = ("app", "tests", "testcluster")  # pyproject.toml's testpaths
# Files outside tasks/, tests/ and the apps, by prefix: the tests that read or run them.
OTHER_HOMES: dict[str, tuple[str, ...]] = {
    "app/devtools/": ("tests/devloop", "tests/containers"),
    "testcluster/": ("testcluster/tests", "tests/cluster"),
    "k8s/": ("tests/k8s", "tests/promotion", "tests/cluster"),
    "Dockerfile": ("tests/image", "tests/containers"),
    ".dockerignore": ("tests/image", "tests/containers", "tests/devloop"),
    "skaffold.yaml": ("tests/devloop", "tests/cluster"),
    "Tiltfile": ("tests/devloop", "tests/cluster"),
    "requirements/": ("tests/deps", "tests/checks"),
    "docs/": ("tests/checks",),
    "README.md": ("tests/checks",),
    "LICENSE": ("tests/checks",),
    ".github/": ("tests/workflows",),
    "bin/": ("tests/checks", "tests/quickstart"),
    ".ci/": ("tests/checks", "tests/quickstart"),
}


@dataclass(frozen=True)
class Choice:
    changed: str
    tests: tuple[str, ...]
    why: str


class ChangedError(Exception):
    """git could not say what changed (an unknown REF, not a checkout)."""


def _git(root: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["git failed"])[-1]
        raise ChangedError(f"git {' '.join(args)}: {reason}")
    return result.stdout


# Where a checkout's work branches from, in the order looked for.
DEFAULT_BRANCHES = ("main", "origin/main", "master", "origin/master")


def _is_commit(root: Path, ref: str) -> bool:
    try:
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ChangedError:
        return False
    return True


def base_of(ref: str | None, root: Path = ROOT) -> str:
    """REF itself, or (none given) the merge base of HEAD with main (or master): on that branch, HEAD, so the
    uncommitted edits; also HEAD in a checkout with neither branch (a scratch copy, a trunk-named one)."""
    if ref:
        if not _is_commit(root, ref):
            raise ChangedError(f"no commit named {ref!r} in this checkout")
        return ref
    branch = next((name for name in DEFAULT_BRANCHES if _is_commit(root, name)), "HEAD")
    return _git(root, "merge-base", "HEAD", branch).strip()


def changed_files(base: str, root: Path = ROOT) -> list[str]:
    """Files changed since `base`: committed, staged, unstaged and untracked (deleted ones too)."""
    tracked = _git(root, "diff", "--name-only", base).splitlines()
    untracked = _git(root, "ls-files", "--others", "--exclude-standard").splitlines()
    return sorted(set(tracked) | set(untracked))


def _exists(path: str) -> bool:
    return (ROOT / path).exists()


def choose(path: str) -> Choice:
    """The tests that cover one changed file, and the rule that chose them."""
    parts = PurePosixPath(path).parts
    name = parts[-1]
    if parts[0] in EVERYTHING and name.startswith("test_") and name.endswith(".py"):
        return Choice(path, (path,) if _exists(path) else (), "a test file covers itself")
    if parts[0] == "tasks" and len(parts) > 2 and _exists(f"tests/{parts[1]}"):
        return Choice(path, (f"tests/{parts[1]}",), f"tests/{parts[1]} mirrors tasks/{parts[1]}")
    if parts[0] == "tests" and len(parts) > 2 and parts[1] != "support":
        return Choice(path, (f"tests/{parts[1]}",), f"a helper of tests/{parts[1]}")
    if parts[0] == "app" and len(parts) > 2 and _exists(f"app/{parts[1]}/tests"):
        return Choice(path, (f"app/{parts[1]}/tests",), f"app/{parts[1]}'s tests sit beside it")
    for prefix, tests in OTHER_HOMES.items():
        if path.startswith(prefix):
            return Choice(path, tests, f"the tests that read {prefix.rstrip('/')}")
    return Choice(path, EVERYTHING, "no narrower home: it could affect any test")


def selection(choices: list[Choice]) -> list[str]:
    """The paths to give pytest: each chosen once, none inside another chosen folder."""
    chosen = sorted({test for choice in choices for test in choice.tests})
    return [p for p in chosen if not any(p != other and p.startswith(other + "/") for other in chosen)]
