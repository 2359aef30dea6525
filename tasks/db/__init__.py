"""`invoke db.*`: the dev loop's database, fresh or as it was, in seconds. Refused anywhere but the loop."""

from __future__ import annotations

import time

from invoke import Context, Exit, task

from tasks.db import loop_database
from tasks.devloop import in_pod

NAMESPACE_HELP = {"namespace": "where the dev loop deployed (default: the context's own namespace)"}


def _migrate(command: str, namespace: str) -> None:
    """The code's migrations on the database just put in place, in the loop's web pod."""
    code = in_pod.manage(["migrate", "--noinput"], namespace)
    if code:
        raise Exit(f"{command}: migrate exited with {code} (its output is above)", code=code)


def _done(command: str, what: str, started: float) -> None:
    print(f"{command}: {what} in {time.monotonic() - started:.1f}s", flush=True)


@task(help=NAMESPACE_HELP)
def reset(c: Context, namespace: str = "") -> None:
    """Drop the loop's database and migrate it from nothing (snapshots are kept)."""
    started = time.monotonic()
    database = loop_database.find("db.reset", namespace)
    database.replace(template=None)
    _migrate("db.reset", namespace)
    _done("db.reset", f"{database.database} is empty and migrated", started)


@task(help=NAMESPACE_HELP)
def seed(c: Context, namespace: str = "") -> None:
    """Load the app's seed data (app/*/fixtures/seed.json) into the loop's database; again is harmless."""
    started = time.monotonic()
    loop_database.find("db.seed", namespace)  # refuses anything but the loop's own
    code = in_pod.manage(["loaddata", "seed"], namespace)
    if code:
        raise Exit(f"db.seed: loaddata exited with {code} (its output is above)", code=code)
    _done("db.seed", "seed data loaded", started)


@task(help={"name": "what to call it: lowercase letters, digits and _", **NAMESPACE_HELP})
def snapshot(c: Context, name: str, namespace: str = "") -> None:
    """Copy the loop's database as it is now into snapshot NAME (CREATE DATABASE ... TEMPLATE)."""
    started = time.monotonic()
    database = loop_database.find("db.snapshot", namespace)
    database.snapshot(name)
    _done("db.snapshot", f"{database.database} copied to snapshot {name}", started)


@task(help={"name": "the snapshot to restore (invoke db.snapshots lists them)", **NAMESPACE_HELP})
def restore(c: Context, name: str, namespace: str = "") -> None:
    """Put snapshot NAME back as the loop's database (the snapshot stays), then apply newer migrations."""
    started = time.monotonic()
    database = loop_database.find("db.restore", namespace)
    database.restore(name)
    _migrate("db.restore", namespace)
    _done("db.restore", f"snapshot {name} restored into {database.database}", started)


@task(help=NAMESPACE_HELP)
def snapshots(c: Context, namespace: str = "") -> None:
    """List the loop's database snapshots: name, size, when taken."""
    taken = loop_database.find("db.snapshots", namespace).snapshots()
    if not taken:
        print("db.snapshots: none yet; take one with invoke db.snapshot NAME")
    for item in taken:
        print(f"{item.name:<30} {item.size:>10}  {item.taken}")
