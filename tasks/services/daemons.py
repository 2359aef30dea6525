"""Start the real services tests need on 127.0.0.1: PostgreSQL, Redis and dockerd.

Each start is idempotent: a service already answering is left alone, so a developer's own
PostgreSQL or Docker keeps working.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from invoke.exceptions import Exit

from tasks.paths import STATE
from tasks.services import dockerd
from tasks.services.come_up import wait_up
from tasks.services.reach import port_open

PG_USER = PG_PASSWORD = PG_DB = "shipyard"
PG_PORT = 5432
REDIS_PORT = 6379
REDIS_DATABASES = 32  # each pytest-xdist worker uses a block of its own (tests/testenv.py); 16 held two blocks


def _as_postgres(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(["runuser", "-u", "postgres", "--", *argv], capture_output=True, text=True)


def _psql(sql: str) -> str:
    result = _as_postgres("psql", "-p", str(PG_PORT), "-tAc", sql)
    if result.returncode != 0:
        raise Exit(f"psql failed ({sql!r}): {result.stderr.strip()}", code=1)
    return result.stdout.strip()


def start_postgres() -> str:
    if not port_open("127.0.0.1", PG_PORT):
        if shutil.which("pg_lsclusters") is None:
            raise Exit("PostgreSQL is not installed: run ./bin/setup (apt-get install postgresql)", code=1)
        clusters = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True).stdout.split()
        if not clusters:
            raise Exit("no PostgreSQL cluster: run `pg_createcluster 15 main` as root", code=1)
        version, name = clusters[0], clusters[1]
        subprocess.run(["pg_ctlcluster", version, name, "start"], check=False)
        wait_up("PostgreSQL", lambda: port_open("127.0.0.1", PG_PORT), 30, f"{STATE}/*.log")
    if os.geteuid() == 0 and shutil.which("runuser"):
        # The test role may create databases: pytest-django makes test_<name>, the e2e stack its own.
        if _psql(f"SELECT 1 FROM pg_roles WHERE rolname = '{PG_USER}'") != "1":
            _psql(f"CREATE ROLE {PG_USER} LOGIN CREATEDB PASSWORD '{PG_PASSWORD}'")
        if _psql(f"SELECT 1 FROM pg_database WHERE datname = '{PG_DB}'") != "1":
            _psql(f"CREATE DATABASE {PG_DB} OWNER {PG_USER}")
    return f"postgres://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{PG_PORT}/{PG_DB}"


def start_redis() -> str:
    if not port_open("127.0.0.1", REDIS_PORT):
        if shutil.which("redis-server") is None:
            raise Exit("Redis is not installed: run ./bin/setup (apt-get install redis-server)", code=1)
        STATE.mkdir(exist_ok=True)
        subprocess.run(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(REDIS_PORT),
                "--daemonize",
                "yes",
                "--save",
                "",
                "--appendonly",
                "no",
                "--databases",
                str(REDIS_DATABASES),
                "--logfile",
                str(STATE / "redis.log"),
            ],
            check=True,
        )
        wait_up("Redis", lambda: port_open("127.0.0.1", REDIS_PORT), 15, f"{STATE}/*.log")
    return f"redis://127.0.0.1:{REDIS_PORT}/0"


def start_docker() -> None:
    dockerd.start(STATE / "dockerd.log")
