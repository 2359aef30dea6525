"""`invoke test`: the whole suite against real PostgreSQL, Redis and Docker."""

import shlex
import sys

from invoke import Context, task

from tasks import services

# What the dev loop runs after each change: no database, Redis, Docker or cluster needed.
UNIT_MARKERS = "not postgres and not redis and not docker and not k8s and not slow"


@task(
    help={
        "args": "extra pytest arguments, e.g. '-k api -x'",
        "unit": "only the fast tests that need no services (what skaffold and Tilt run)",
    }
)
def test(c: Context, args: str = "", unit: bool = False) -> None:
    """Run every test (app, manifests, images, dev loop, reliability) with pytest."""
    if unit:
        c.run(f"{sys.executable} -m pytest -q -m {shlex.quote(UNIT_MARKERS)} {args}")
        return
    services.start(c)
    c.run(f"{sys.executable} -m pytest {args}")
