"""`manage.py migrate` waits for another migrate of the same database instead of racing it."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg2
import pytest

from tasks.paths import APP
from tasks.services.databases import drop_database, recreate_database
from tests.app.test_settings import EMPTY, PROD_ENV
from tests.support.processes import clean_env, wait_until

pytestmark = pytest.mark.postgres

LOCK_KEY = 7_263_311_020_651  # app/ops/management/commands/migrate.py


@pytest.fixture
def database():
    name = f"shipyard_migrate_{os.getpid()}"
    yield recreate_database(name)
    drop_database(name)


def migrate(url: str) -> subprocess.Popen:
    env = clean_env(EMPTY | PROD_ENV | {"DATABASE_URL": url})
    return subprocess.Popen(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=APP,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def waiting_for_the_lock(admin) -> bool:
    with admin.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = %s",
            [LOCK_KEY & 0xFFFFFFFF],
        )
        return cursor.fetchone()[0] == 1


def test_a_migrate_waits_while_another_holds_the_lock_then_applies_everything(database):
    admin = psycopg2.connect(database)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])  # as a migrate in progress holds it
        waiting = migrate(database)
        wait_until("the migrate to wait for the lock", lambda: waiting_for_the_lock(admin), 60)
        with admin.cursor() as cursor:
            cursor.execute("SELECT to_regclass('analysis_job')")
            assert cursor.fetchone()[0] is None  # it applied nothing while it waited
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        _out, err = waiting.communicate(timeout=120)
        assert waiting.returncode == 0, err
        with admin.cursor() as cursor:
            cursor.execute("SELECT to_regclass('analysis_job')")
            assert cursor.fetchone()[0] == "analysis_job"
    finally:
        admin.close()


def test_two_migrates_of_a_fresh_database_at_once_both_succeed(database):
    first, second = migrate(database), migrate(database)
    for process in (first, second):
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
