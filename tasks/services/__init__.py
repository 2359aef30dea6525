"""`invoke services.*`: the real services the tests need, on 127.0.0.1."""

from __future__ import annotations

from invoke import Context, task

from tasks.services.daemons import start_docker, start_postgres, start_redis


@task
def start(c: Context, docker: bool = True) -> None:
    """Start PostgreSQL, Redis (and dockerd) on 127.0.0.1 unless they already answer."""
    print(f"PostgreSQL: {start_postgres()}", flush=True)
    print(f"Redis:      {start_redis()}", flush=True)
    if docker:
        start_docker()
        print("Docker:     running", flush=True)
    print("services ready")
