"""`invoke test --changed [REF]` chooses the tests that cover what changed, and says why."""

from __future__ import annotations

import subprocess

import pytest

from tasks.checks import changed, pytest_run
from tests.checks.cli import invoke_here


@pytest.mark.parametrize(
    ("path", "tests"),
    [
        ("tests/db/test_refusals.py", ("tests/db/test_refusals.py",)),
        ("app/analysis/tests/test_api.py", ("app/analysis/tests/test_api.py",)),
        ("tasks/db/loop_database.py", ("tests/db",)),
        ("tests/cluster/day.py", ("tests/cluster",)),
        ("app/analysis/api.py", ("app/analysis/tests",)),
        ("app/devtools/devworker.py", ("tests/devloop", "tests/containers")),
        ("k8s/base/web/deployment.yaml", ("tests/k8s", "tests/promotion", "tests/cluster")),
        ("docs/troubleshooting.md", ("tests/checks",)),
        ("Tiltfile", ("tests/devloop", "tests/cluster")),
        # Could affect any test: the whole suite.
        ("app/config/settings.py", ("app", "tests", "testcluster")),
        ("tests/support/loopback_stack.py", ("app", "tests", "testcluster")),
        ("tests/conftest.py", ("app", "tests", "testcluster")),
        ("pyproject.toml", ("app", "tests", "testcluster")),
        ("tasks/paths.py", ("app", "tests", "testcluster")),
    ],
)
def test_each_changed_file_chooses_its_tests(path, tests):
    assert changed.choose(path).tests == tests


def test_a_deleted_test_file_chooses_nothing():
    assert changed.choose("tests/db/test_gone.py").tests == ()


def test_the_selection_names_each_folder_once_and_nothing_inside_a_chosen_folder():
    choices = [
        changed.choose(p)
        for p in ("tasks/db/snapshots.py", "tests/db/test_refusals.py", "docs/a.md", "tests/checks/test_docs.py")
    ]
    assert changed.selection(choices) == ["tests/checks", "tests/db"]


def git(root, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True, capture_output=True
    )


def test_changed_files_are_committed_staged_unstaged_untracked_and_deleted_since_the_merge_base(tmp_path):
    for name in ("tasks/db/a.py", "tasks/db/b.py", "tasks/k8s/c.py", "tasks/k8s/d.py", "docs/e.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    git(tmp_path, "checkout", "-qb", "topic")
    (tmp_path / "tasks/db/a.py").write_text("committed\n")
    git(tmp_path, "commit", "-qam", "on the branch")
    (tmp_path / "tasks/db/b.py").write_text("staged\n")
    git(tmp_path, "add", "tasks/db/b.py")
    (tmp_path / "tasks/k8s/c.py").write_text("unstaged\n")
    (tmp_path / "tasks/k8s/d.py").unlink()
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_new.py").write_text("untracked\n")
    base = changed.base_of(None, tmp_path)
    assert changed.changed_files(base, tmp_path) == [
        "tasks/db/a.py",
        "tasks/db/b.py",
        "tasks/k8s/c.py",
        "tasks/k8s/d.py",
        "tests/test_new.py",
    ]
    # Since a REF given, only what changed after it.
    git(tmp_path, "commit", "-qam", "more")
    assert changed.changed_files("HEAD", tmp_path) == ["tests/test_new.py"]


def test_an_unknown_ref_is_one_line_and_runs_nothing():
    result = invoke_here("test", "--unit", "--changed", "no-such-ref")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "test --changed no-such-ref: no commit named 'no-such-ref' in this checkout; give a branch, tag or commit, "
        "e.g. --changed main"
    ]


def test_it_prints_each_choice_with_its_reason_then_what_it_runs(monkeypatch, capsys):
    monkeypatch.setattr(changed, "base_of", lambda ref: "0123456789abcdef")
    monkeypatch.setattr(changed, "changed_files", lambda base: ["tasks/db/snapshots.py", "docs/a.md"])
    assert pytest_run.changed_paths(None) == ["tests/checks", "tests/db"]
    assert capsys.readouterr().out.splitlines() == [
        "changed tasks/db/snapshots.py: tests/db (tests/db mirrors tasks/db)",
        "changed docs/a.md: tests/checks (the tests that read docs)",
        "test --changed: 2 file(s) changed since 0123456789ab; running tests/checks tests/db",
    ]


@pytest.mark.parametrize("branch", ["master", "trunk"])
def test_without_a_main_branch_the_base_is_master_or_else_head(tmp_path, branch):
    (tmp_path / "a.py").write_text("x\n")
    git(tmp_path, "init", "-q", "-b", branch)
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "base")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=tmp_path, capture_output=True, text=True).stdout.strip()
    git(tmp_path, "checkout", "-qb", "topic")
    (tmp_path / "a.py").write_text("committed on the branch\n")
    git(tmp_path, "commit", "-qam", "on the branch")
    (tmp_path / "b.py").write_text("untracked\n")
    base = changed.base_of(None, tmp_path)
    # master: where the branch left it; no known branch: this branch's own HEAD, so only the uncommitted edits.
    assert changed.changed_files(base, tmp_path) == (["a.py", "b.py"] if branch == "master" else ["b.py"])
    assert (base == head) == (branch == "master")
