"""`invoke test`, `invoke lint` and `invoke audit`: the whole suite, the static checks, the locks' advisories."""

from __future__ import annotations

import datetime
import shlex

from invoke import Context, Exit, task

from tasks import services
from tasks.checks import advisories, linters, pytest_run


@task(
    help={
        "args": "extra pytest arguments, split as a shell would: --args \"-m 'not docker' -x\"",
        "unit": "only the fast tests that need no services (what skaffold and Tilt run beside the loop)",
        "changed": "only the tests covering files changed since REF (default: the merge base with main; "
        "on main, the uncommitted edits); prints what it chose and why",
    },
    optional=["changed"],
)
def test(c: Context, args: str = "", unit: bool = False, changed: str | None = None) -> None:
    """Run every test (app, manifests, images, dev loop, reliability) with pytest."""
    paths = []
    if changed is not None:
        pytest_run.pytest_argv(args, unit)  # bad quoting fails before git is asked
        paths = pytest_run.changed_paths(None if changed is True else changed)
        if not paths:
            print("test --changed: no test covers what changed; nothing to run")
            return
    argv = pytest_run.pytest_argv(shlex.join(paths) + " " + args if paths else args, unit)  # before any service
    if not unit:
        services.start(c)
    code = pytest_run.run(argv)
    if code:
        raise Exit(code=code)


@task
def lint(c: Context) -> None:
    """ruff (check, format), hadolint, actionlint, and checkov on every kustomization and the Dockerfile."""
    failed = []
    for name in linters.CHECKS:
        outcome = linters.run(name)
        print(f"{'ok  ' if outcome.ok else 'FAIL'} {name} ({outcome.seconds:.1f}s)", flush=True)
        if not outcome.ok:
            failed.append(name)
            print("  " + outcome.output.replace("\n", "\n  "), flush=True)
    if failed:
        raise Exit(f"lint: {len(failed)} of {len(linters.CHECKS)} checks failed: {', '.join(failed)}", code=1)
    print(f"lint: all {len(linters.CHECKS)} checks passed")


@task
def audit(c: Context) -> None:
    """pip-audit the image locks (app.txt, dev.txt) against PyPI's advisories; exceptions: audit-allow.toml."""
    accepted = advisories.allowed()  # a malformed file fails before any network
    found = advisories.findings(advisories.report())
    failures, notes = advisories.verdict(found, accepted, datetime.date.today())
    for line in notes:
        print(f"audit: {line}", flush=True)
    if failures:
        for line in failures:
            print(f"FAIL {line}", flush=True)
        raise Exit(
            f"audit: {len(failures)} known vulnerabilit{'y' if len(failures) == 1 else 'ies'} in "
            f"{' and '.join(advisories.LOCKS)}",
            code=1,
        )
    print(f"audit: no known vulnerability in {' and '.join(advisories.LOCKS)} ({len(notes)} accepted)")
