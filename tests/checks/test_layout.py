"""tasks/ shows the architecture: one subpackage per concern, mirroring tests/, commands apart from libraries."""

from __future__ import annotations

import ast

from tasks.paths import ROOT
from tests.checks.cli import task_names

TASKS = ROOT / "tasks"
PACKAGES = sorted(p.parent.name for p in TASKS.glob("*/__init__.py"))


def test_every_concern_has_a_test_folder_of_the_same_name():
    assert PACKAGES == [
        "bench",
        "checks",
        "cluster",
        "containers",
        "db",
        "deps",
        "devloop",
        "image",
        "k8s",
        "promotion",
        "services",
        "shared",
    ]
    assert [name for name in PACKAGES if not (ROOT / "tests" / name).is_dir()] == []


def test_a_package_init_holds_only_its_task_functions():
    for package in PACKAGES:
        tree = ast.parse((TASKS / package / "__init__.py").read_text())
        for node in tree.body[1:]:  # after the docstring
            if isinstance(node, ast.Import | ast.ImportFrom):
                continue
            assert isinstance(node, ast.FunctionDef), f"tasks/{package}/__init__.py line {node.lineno}: not a task"
            decorators = [ast.unparse(d) for d in node.decorator_list]
            assert any(d == "task" or d.startswith("task(") for d in decorators), f"{package}.{node.name}: no @task"


def test_no_module_shares_a_name_with_a_task():
    leaves = {name.rsplit(".", 1)[-1] for name in task_names()}
    modules = {p.stem for p in TASKS.rglob("*.py")} - {"__init__"}
    assert modules & leaves == set()


def test_only_package_inits_define_tasks():
    for module in TASKS.rglob("*.py"):
        if module.name != "__init__.py":
            assert "@task" not in module.read_text(), f"{module.relative_to(ROOT)} defines a task: move it to __init__"
