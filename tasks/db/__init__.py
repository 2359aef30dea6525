"""`invoke db.*`: the dev loop's database, fresh or as it was, in seconds. Refused anywhere but the loop."""

from __future__ import annotations

import time

from invoke import Context, task

from tasks.cli import help_even_for_positionals
from tasks.db import in_loop, loop_database


@task(help={"namespace": "where the dev loop deployed (default: the context's own namespace)"})
def reset(c: Context, namespace: str = "") -> None:
    """Drop the loop's database and migrate it from nothing (snapshots are kept)."""
    started = time.monotonic()
    database = loop_database.find("db.reset", namespace)
    database.replace(template=None)
    in_loop.manage("db.reset", "migrate", "--noinput", namespace=namespace)
    in_loop.done("db.reset", f"{database.database} is empty and migrated", started)


@task(help={"namespace": "where the dev loop deployed (default: the context's own namespace)"})
def seed(c: Context, namespace: str = "") -> None:
    """Load the app's seed data (app/*/fixtures/seed.json) into the loop's database; again is harmless."""
    started = time.monotonic()
    loop_database.find("db.seed", namespace)  # refuses anything but the loop's own
    in_loop.manage("db.seed", "loaddata", "seed", namespace=namespace)
    in_loop.done("db.seed", "seed data loaded", started)


@task(
    help={
        "name": "what to call it: lowercase letters, digits and _",
        "namespace": "where the dev loop deployed (default: the context's own namespace)",
    }
)
@help_even_for_positionals("db.snapshot")
def snapshot(c: Context, name: str, namespace: str = "") -> None:
    """Copy the loop's database as it is now into snapshot NAME (CREATE DATABASE ... TEMPLATE)."""
    started = time.monotonic()
    loop_database.checked_name("db.snapshot", name)  # bad input fails before any cluster is asked
    database = loop_database.find("db.snapshot", namespace)
    database.snapshot(name)
    in_loop.done("db.snapshot", f"{database.database} copied to snapshot {name}", started)


@task(
    help={
        "name": "the snapshot to restore (invoke db.snapshots lists them)",
        "namespace": "where the dev loop deployed (default: the context's own namespace)",
    }
)
@help_even_for_positionals("db.restore")
def restore(c: Context, name: str, namespace: str = "") -> None:
    """Put snapshot NAME back as the loop's database (the snapshot stays), then apply newer migrations."""
    started = time.monotonic()
    loop_database.checked_name("db.restore", name)
    database = loop_database.find("db.restore", namespace)
    database.restore(name)
    in_loop.manage("db.restore", "migrate", "--noinput", namespace=namespace)
    in_loop.done("db.restore", f"snapshot {name} restored into {database.database}", started)


@task(help={"namespace": "where the dev loop deployed (default: the context's own namespace)"})
def snapshots(c: Context, namespace: str = "") -> None:
    """List the loop's database snapshots: name, size, when taken."""
    taken = loop_database.find("db.snapshots", namespace).snapshots()
    if not taken:
        print("db.snapshots: none yet; take one with invoke db.snapshot NAME")
    for item in taken:
        print(f"{item.name:<30} {item.size:>10}  {item.taken}")
