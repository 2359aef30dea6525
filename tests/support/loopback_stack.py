"""A real stack on loopback: its own PostgreSQL database and Redis db, gunicorn, worker, beat."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import redis

from tasks.paths import APP
from tasks.services.databases import ADMIN_URL, close_to_connections, drop_database, recreate_database
from tests import testenv
from tests.support.processes import BIN, Process, free_port, http_status, manage, wait_until


@dataclass(frozen=True)
class Migrated:
    """A database migrated and the static files collected once per test process, on the shared PostgreSQL: each
    stack there starts from a copy of both, as each deploy's pods start from what its migrate Job left."""

    database: str
    static_root: Path

    @classmethod
    def make(cls, name: str, directory: Path) -> Migrated:
        stack = Stack(name, directory)
        stack.setup()
        close_to_connections(name)  # CREATE DATABASE ... TEMPLATE fails while anyone is connected to it
        return cls(name, Path(stack.env["STATIC_ROOT"]))

    def drop(self) -> None:
        drop_database(self.database)


@dataclass
class Stack:
    """Settings for one isolated stack; start_* launch its processes and remember them."""

    name: str
    log_dir: Path
    redis_url: str = field(default_factory=lambda: testenv.redis_url("stack"))
    admin_url: str = ADMIN_URL
    migrated: Migrated | None = None  # None: migrate and collect the static files anew
    env: dict[str, str] = field(default_factory=dict)
    processes: list[Process] = field(default_factory=list)

    def setup(self) -> None:
        template = self.migrated.database if self.migrated else None
        database_url = recreate_database(self.name, self.admin_url, template)
        redis_url = self.redis_url
        redis.Redis.from_url(redis_url).flushdb()
        static_root = self.migrated.static_root if self.migrated else self.log_dir / "static"
        # Each stack's own /tmp, as each pod has one: beat keeps its schedule in the temp dir and clears
        # what it finds there, so two stacks' beats on one machine must not share it.
        temp_dir = self.log_dir / "tmp"
        temp_dir.mkdir(exist_ok=True)
        self.env = {
            "SECRET_KEY": "stack-test-secret-" + "s" * 40,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "false",
            "STATIC_ROOT": str(static_root),
            "TMPDIR": str(temp_dir),
            "CELERY_HEARTBEAT_DIR": str(self.log_dir),  # the worker's and beat's heartbeat files
            **self.env,
        }
        if self.migrated is not None:
            return  # its database is a copy of one migrated, and its static files were collected with it
        for args in (("migrate", "--noinput"), ("collectstatic", "--noinput")):
            result = manage(self.env, *args)
            assert result.returncode == 0, f"manage.py {args[0]} failed:\n{result.stderr}"

    def start(self, name: str, argv: list[str], cwd: Path = APP, **env: str) -> Process:
        process = Process(name, argv, {**self.env, **env}, self.log_dir, cwd)
        self.processes.append(process)
        return process

    def start_web(self, name: str = "web", **env: str) -> tuple[Process, str]:
        port = free_port()
        argv = [
            str(BIN / "gunicorn"),
            "config.wsgi",
            "--config",
            "python:config.gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
        ]
        process = self.start(name, argv, **env)
        url = f"http://127.0.0.1:{port}"
        wait_until(
            f"{name} to answer /healthz", lambda: http_status(url + "/healthz") == 200 or process.popen.poll(), 30
        )
        assert process.popen.poll() is None, f"{name} exited:\n{process.log()}"
        return process, url

    def start_worker(self, name: str = "worker", concurrency: int = 2, **env: str) -> Process:
        argv = [
            str(BIN / "celery"),
            "--app",
            "config",
            "--quiet",
            "worker",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "--concurrency",
            str(concurrency),
            "--hostname",
            f"{name}@%h",
        ]
        process = self.start(name, argv, **env)
        wait_until(f"{name} to be ready", lambda: "ready." in process.log() or process.popen.poll() is not None, 60)
        assert process.popen.poll() is None, f"{name} exited:\n{process.log()}"
        return process

    def start_beat(self, name: str = "beat", **env: str) -> Process:
        """Beat as the manifest starts it (`python -m config.beat`), once it has begun ticking."""
        process = self.start(name, [sys.executable, "-m", "config.beat"], **env)
        wait_until(
            f"{name} to start", lambda: "beat: Starting..." in process.log() or process.popen.poll() is not None, 30
        )
        assert process.popen.poll() is None, f"{name} exited:\n{process.log()}"
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def teardown(self) -> None:
        self.stop()
        drop_database(self.name, self.admin_url)

    def db(self):
        return psycopg2.connect(self.env["DATABASE_URL"])

    def job_rows(self) -> list[tuple[str, str, int]]:
        """(id, status, attempts) of every job, straight from PostgreSQL."""
        with self.db() as conn, conn.cursor() as cur:
            cur.execute("SELECT id::text, status, attempts FROM analysis_job ORDER BY created_at")
            return cur.fetchall()
