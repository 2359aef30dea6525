"""Run pytest with the arguments exactly as the user typed them."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

from invoke import Exit

from tasks.checks import changed
from tasks.paths import ROOT

# What the dev loop runs beside each change: no database, Redis, Docker or cluster needed.
UNIT_MARKERS = "not postgres and not redis and not docker and not k8s and not slow and not cluster"
FAST_FILES = ROOT / ".state" / "fast-files.json"


def pytest_argv(args: str, unit: bool) -> list[str]:
    """pytest's argv: `args` is split as a POSIX shell would, so quoted words stay whole."""
    try:
        extra = shlex.split(args)
    except ValueError as error:  # an unclosed quote: say so rather than guess
        raise Exit(
            f"test --args {args!r}: {error}; quote each argument once, e.g. --args \"-m 'not docker'\"", 2
        ) from None
    # Side by side only for all the tests asked for (the whole suite, or all the fast ones): a chosen few
    # (--args, --changed) start sooner in one process.
    mode = ["-q", "-m", UNIT_MARKERS, *skip_known(extra)] if unit else []
    return [sys.executable, "-m", "pytest", *mode, *([] if extra else side_by_side(unit)), *extra]


def skip_known(extra: list[str]) -> list[str]:
    """The fast run skips importing the test files it found to hold no fast test, while they are unchanged
    (tests/support/fast_files.py). Not when --args could select differently: what it records would be wrong."""
    return [] if any(word.startswith("-") for word in extra) else ["--fast-files", str(FAST_FILES)]


def side_by_side(unit: bool) -> list[str]:
    """pytest-xdist on up to two cores: what can share the machine runs beside the rest; what cannot runs in a
    lane, one worker's, in order (tests/support/lanes.py). All the fast tests in a worker per core: pytest took
    11.7 s for them in two workers, 13.3 s in one process. The whole suite in one worker more than cores: a third
    of its time is spent waiting on processes and the cluster, and a worker that waits holds no core."""
    cores = min(os.cpu_count() or 1, 2)
    workers = cores if unit or cores == 1 else cores + 1
    return ["-n", str(workers)] if workers > 1 else []


def run(argv: list[str]) -> int:
    """pytest's exit code. Bytecode (pytest's rewritten test modules too) is cached under .state/pycache, even
    where PYTHONDONTWRITEBYTECODE is set: rewriting every test module again cost each run seconds, and outside
    the source tree no __pycache__ appears in it (nor wakes a file watcher)."""
    environ = {**os.environ, "PYTHONPYCACHEPREFIX": str(ROOT / ".state" / "pycache")}
    environ.pop("PYTHONDONTWRITEBYTECODE", None)
    return subprocess.run(argv, env=environ).returncode


def changed_paths(ref: str | None) -> list[str]:
    """The test paths covering what changed since `ref`, each choice printed with its reason."""
    try:
        base = changed.base_of(ref)
        files = changed.changed_files(base)
    except changed.ChangedError as error:
        raise Exit(
            f"test --changed {ref or ''}: {error}; give a branch, tag or commit, e.g. --changed main", 2
        ) from None
    choices = [changed.choose(path) for path in files]
    for choice in choices:
        print(f"changed {choice.changed}: {', '.join(choice.tests) or 'no test'} ({choice.why})", flush=True)
    paths = changed.selection(choices)
    print(
        f"test --changed: {len(files)} file(s) changed since {base[:12]}; running {' '.join(paths) or 'nothing'}",
        flush=True,
    )
    return paths
