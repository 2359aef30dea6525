"""`invoke test`: the whole suite against real PostgreSQL, Redis and Docker."""

import sys

from invoke import Context, task

from tasks import services


@task(
    help={
        "args": "extra pytest arguments, e.g. '-k api -x'",
        "start-services": "start PostgreSQL, Redis and dockerd first (default on)",
    }
)
def test(c: Context, args: str = "", start_services: bool = True) -> None:
    """Run every test (unit, integration, manifests, images, dev loop) with pytest."""
    if start_services:
        services.start(c)
    c.run(f"{sys.executable} -m pytest {args}", pty=False)
