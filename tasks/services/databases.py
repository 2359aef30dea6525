"""Throwaway PostgreSQL databases on the local server, for tests and the benchmark."""

from __future__ import annotations

import psycopg2

from tasks.services.daemons import PG_DB, PG_PASSWORD, PG_PORT, PG_USER

# The role `invoke services.start` creates may create databases.
ADMIN_URL = f"postgres://{PG_USER}:{PG_PASSWORD}@127.0.0.1:{PG_PORT}/{PG_DB}"


def _admin(admin_url: str, sql: str) -> None:
    conn = psycopg2.connect(admin_url)
    conn.autocommit = True  # CREATE/DROP DATABASE cannot run inside a transaction
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def recreate_database(name: str, admin_url: str = ADMIN_URL, template: str | None = None) -> str:
    """Drop and create database `name` on the server of `admin_url`, a copy of TEMPLATE if given; return its URL."""
    drop_database(name, admin_url)
    _admin(admin_url, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return admin_url.rsplit("/", 1)[0] + "/" + name


def close_to_connections(name: str, admin_url: str = ADMIN_URL) -> None:
    """No new connection to database `name`: a database copied as a template must have none open."""
    _admin(admin_url, f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')


def drop_database(name: str, admin_url: str = ADMIN_URL) -> None:
    _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
