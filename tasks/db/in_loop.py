"""What db.* runs in the loop's web pod after changing the database, and how it reports."""

from __future__ import annotations

import time

from invoke.exceptions import Exit

from tasks.devloop import in_pod


def manage(command: str, *args: str, namespace: str) -> None:
    """manage.py ARGS in the loop's web pod; Exit with its code when it fails (it said why above)."""
    code = in_pod.manage(list(args), namespace)
    if code:
        raise Exit(f"{command}: manage.py {args[0]} exited with {code} (its output is above)", code=code)


def done(command: str, what: str, started: float) -> None:
    print(f"{command}: {what} in {time.monotonic() - started:.1f}s", flush=True)
