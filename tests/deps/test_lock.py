"""`invoke lock` for real: uv against the package index, in a copy of tasks/ and requirements/.

Slow-marked: each run asks the index (PyPI, or what uv is configured with) about every package.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tasks.deps.locking import pins
from tests.support.checkout import tasks_checkout

pytestmark = pytest.mark.slow

INVOKE = str(Path(sys.executable).parent / "invoke")
LOCKS = ("app", "dev", "tools")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    return tasks_checkout(tmp_path, "requirements")


def lock(checkout: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([INVOKE, "lock", *args], cwd=checkout, capture_output=True, text=True, timeout=600)


def contents(checkout: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((checkout / "requirements").iterdir())}


def test_the_committed_locks_are_what_lock_makes(checkout):
    before = contents(checkout)
    result = lock(checkout)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "lock: every pin is as it was"
    assert contents(checkout) == before


def test_a_new_requirement_is_pinned_once_in_every_lock_and_nothing_else_moves(checkout):
    before = {name: pins((checkout / "requirements" / f"{name}.txt").read_text()) for name in LOCKS}
    assert all("humanize" not in pinned for pinned in before.values())
    app_in = checkout / "requirements" / "app.in"
    app_in.write_text(app_in.read_text() + "humanize>=4\n")

    result = lock(checkout)
    assert result.returncode == 0, result.stderr
    after = {name: pins((checkout / "requirements" / f"{name}.txt").read_text()) for name in LOCKS}
    (version,) = {after[name]["humanize"] for name in LOCKS}
    for name in LOCKS:
        assert {p: v for p, v in after[name].items() if p != "humanize"} == before[name], name
        assert f"lock: requirements/{name}.txt: +humanize=={version}" in result.stdout
    assert "#    invoke lock" in (checkout / "requirements" / "app.txt").read_text()


@pytest.mark.parametrize(
    ("in_file", "line", "named"),
    [
        (
            "app.in",
            "shipyard-no-such-package-4f2c\n",
            "requirements/app.in does not resolve: No solution found "
            "when resolving dependencies: Because shipyard-no-such-package-4f2c was not found in the package registry",
        ),
        (
            "dev.in",
            "Django<5\n",
            "requirements/dev.in (with the new requirements/app.txt) does not resolve: No "
            "solution found when resolving dependencies: Because you require django<5 and django==",
        ),
        (
            "app.in",
            "Django>>=5\n",
            "requirements/app.in does not resolve: Couldn't parse requirement in "
            '`requirements/app.in` at position 416: no such comparison operator ">>="',
        ),
    ],
    ids=["unknown package", "conflicts with the app lock", "not a requirement"],
)
def test_an_in_file_that_does_not_resolve_is_one_line_and_changes_no_lock(checkout, in_file, line, named):
    requirement = checkout / "requirements" / in_file
    requirement.write_text(requirement.read_text() + line)
    before = contents(checkout)

    result = lock(checkout)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"lock: {named}"), result.stderr
    assert result.stderr.strip().endswith("fix it and run `invoke lock` again (no lock was changed)")
    assert contents(checkout) == before  # no lock touched, nothing half-written beside them
