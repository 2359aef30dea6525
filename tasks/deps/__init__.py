"""`invoke lock`: the pinned dependencies, re-locked from what requirements/*.in ask for."""

from __future__ import annotations

from invoke import Context, task

from tasks.deps import locking


@task(
    iterable=["upgrade"],
    help={
        "upgrade": "move this package to its newest allowed release (repeatable); others keep their pins",
        "upgrade-all": "move every package to its newest allowed release",
    },
)
def lock(c: Context, upgrade: list[str] | None = None, upgrade_all: bool = False) -> None:
    """Re-lock requirements/{app,dev,tools}.txt from the *.in files (uv); the loop then rebuilds the image."""
    changed = locking.lock(upgrade, upgrade_all)
    for change in changed:
        moved = [f"+{pin}" for pin in change.added] + [f"-{pin}" for pin in change.removed]
        print(f"lock: {change.lock}: {' '.join(moved)}", flush=True)
    if not changed:
        print("lock: every pin is as it was", flush=True)
    else:
        print(
            "lock: a running loop rebuilds the image and rolls the pods now (Tilt installs a dev.txt-only change "
            "in the pods); ./bin/setup brings .venv to tools.txt",
            flush=True,
        )
