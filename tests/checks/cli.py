"""Run the project's commands the way a developer types them: through the real `invoke`, or in this process.

`invoke()` starts `python -m invoke` as a shell would (about 0.7 s each: the interpreter and every import).
`invoke_here()` gives the same argv to the same invoke Program in this process, with the given environment
and the output captured: what a command says and its exit code, in milliseconds. The subprocesses the task
starts itself are real either way. The fast tests use `invoke_here`; a few keep `invoke` to prove the
entry point.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator

from invoke import Program
from invoke import __version__ as invoke_version

from tasks.paths import ROOT


def invoke(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


@contextlib.contextmanager
def environment(env: dict[str, str]) -> Iterator[None]:
    """os.environ exactly `env` inside, the caller's again after, whatever happens."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def invoke_here(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`invoke ARGS` run by invoke's own Program in this process, from the repository root, with `env` (default:
    this process's) as its whole environment; its output and exit code as a subprocess would give them."""
    out, err, code = io.StringIO(), io.StringIO(), 0
    dont_write_bytecode = sys.dont_write_bytecode  # Program.run sets it (its --write-pyc); pytest caches with it
    program = Program(name="Invoke", binary="inv[oke]", binary_names=["invoke", "inv"], version=invoke_version)
    cwd = os.getcwd()
    with (
        environment(dict(os.environ) if env is None else env),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        try:
            os.chdir(ROOT)
            program.run(["invoke", *args])
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
            if isinstance(exit_.code, str):
                print(exit_.code, file=sys.stderr)
        except Exception:  # what the interpreter would print before exiting 1
            traceback.print_exc()
            code = 1
        finally:
            os.chdir(cwd)
            sys.dont_write_bytecode = dont_write_bytecode
    return subprocess.CompletedProcess(["invoke", *args], code, out.getvalue(), err.getvalue())


def task_names() -> list[str]:
    """Every task `invoke --list` shows, in its order."""
    listing = invoke_here("--list", "--list-format", "json")
    assert listing.returncode == 0, listing.stderr
    root = json.loads(listing.stdout)
    names = [task["name"] for task in root["tasks"]]
    for collection in root["collections"]:
        names += [f"{collection['name']}.{task['name']}" for task in collection["tasks"]]
    return names
