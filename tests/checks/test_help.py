"""`invoke <task> --help` prints the task's help for every task, and the README lists them all."""

from __future__ import annotations

import re

import pytest

from tasks.paths import ROOT
from tests.checks.cli import invoke_here, task_names

TASKS = task_names()


@pytest.mark.parametrize("name", TASKS)
def test_help_after_the_task_name_prints_its_help(name):
    result = invoke_here(name, "--help")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"Usage: inv[oke] [--core-opts] {name} "), result.stdout
    assert "Docstring:" in result.stdout


def test_a_positional_argument_never_swallows_help():
    # invoke's parser gives the next word to a missing positional argument: these take one.
    positional = [name for name in TASKS if name in ("k8s.render", "promote", "db.snapshot", "db.restore")]
    assert sorted(positional) == ["db.restore", "db.snapshot", "k8s.render", "promote"]
    for name in positional:
        assert "Usage:" in invoke_here(name, "-h").stdout


def test_the_readme_task_table_lists_exactly_the_tasks():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Tasks", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `invoke ([\w.]+)", table, flags=re.M)
    assert sorted(documented) == sorted(TASKS)
