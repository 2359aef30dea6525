"""`manage.py runserver` for the dev loop, restarted by forking a warm parent.

Django's reloader starts a fresh interpreter after every change, which re-imports Django,
Celery and the rest before serving again (about 0.4 s of a 1.2 s reload). Here the parent
imports those libraries once, never the project's code, and forks a child per run. The
child is plain runserver with django-watchfiles: on a change it exits with status 3 and the
parent forks the next one, which imports the project fresh.

The parent never forks stale code: if a file it imported changed (a dependency upgrade,
or this file), it re-executes itself instead. That loop and the fork-safety check are
warmfork.py's, shared with devworker.py (Celery's worker and beat).

The parent also owns the listening socket and every child serves on it, so the port never
refuses a connection during a reload: a request waits in the backlog for the next child. A
refused connection would also break `kubectl port-forward` (it exits on the first error), and
with it the dev loop's forward until skaffold or Tilt starts a new one, most of a second later.

Forking is safe only while the warm list starts no thread and opens no socket (docs/devserver.md).

With DEVSERVER_MIGRATE=1 (the dev overlay), a reloaded child first applies the migrations the code
has and the database lacks, so a migration saved into the loop is live without a restart.

Usage, from the project's directory (/app in the image; it must be on sys.path, as `-m` puts it):
python -m devtools.devserver [runserver options], e.g. python -m devtools.devserver 0.0.0.0:8000
DEVSERVER_WARM=pandas,numpy adds modules to the warm list (checked like the rest).
"""

from __future__ import annotations

import os
import runpy
import select
import socket
import sys
import threading
import time
from pathlib import Path

from devtools import warmfork
from devtools.warmfork import RELOAD

PROJECT = Path(__file__).resolve().parent.parent  # manage.py's directory: /app in the image
MANAGE = str(PROJECT / "manage.py")
LISTEN_FD = "DEVSERVER_LISTEN_FD"  # the parent's listening socket, kept across its re-exec
METRICS_FD = "DEVSERVER_METRICS_FD"  # likewise for the metrics port
MIGRATE_ON_RELOAD = "DEVSERVER_MIGRATE"  # "1" (the dev overlay): a reload first applies new migrations
DRAIN_SECONDS = 5  # how long an old child finishes the answers it started before it exits anyway

# Libraries every child imports (setup, checks, the migrations check, the first request) that
# import cleanly before Django is configured; with their dependencies, about 900 modules.
# Project modules are never here: the child must import those fresh (a test checks).
# The rule that makes forking safe: nothing here may start a thread or open a socket (or another
# fd-backed resource: an event loop, a database or broker connection) when imported. fork copies
# only the calling thread (the others vanish, a lock one held stays held) and shares every fd with
# the children. warm() checks each import and stops before the first fork, naming the module.
# How this list was chosen and how to refresh it: docs/devserver.md.
WARM = (
    "django.core.management.commands.runserver",
    "django.core.handlers.wsgi",
    "django.db.backends.postgresql.base",
    "django.db.migrations.executor",
    "django.core.management.commands.migrate",
    "django.core.cache.backends.redis",
    "django.contrib.admin.apps",
    "django.contrib.admin.views.main",
    "django.contrib.admin.templatetags.admin_list",
    "django.contrib.auth.apps",
    "django.contrib.auth.context_processors",
    "django.contrib.auth.hashers",
    "django.contrib.auth.password_validation",
    "django.contrib.contenttypes.apps",
    "django.contrib.messages.apps",
    "django.contrib.messages.context_processors",
    "django.contrib.messages.middleware",
    "django.contrib.messages.storage.fallback",
    "django.contrib.sessions.apps",
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.middleware",
    "django.contrib.staticfiles.apps",
    "django.contrib.staticfiles.handlers",
    "django.middleware.clickjacking",
    "django.middleware.common",
    "django.middleware.csrf",
    "django.middleware.security",
    "django.template.context_processors",
    "django.template.loader_tags",
    "django.template.loaders.app_directories",
    "django.template.loaders.cached",
    "django.views.defaults",
    "django_watchfiles",
    "environ",
    "celery.app.task",
    "celery.fixups.django",
    "celery.loaders.app",
    "kombu.transport.redis",
    "whitenoise.middleware",
)


def warm() -> dict[str, float]:
    """Import the libraries in WARM (and DEVSERVER_WARM), each checked safe to fork from; the files held."""
    return warmfork.warm(WARM, "devserver", "DEVSERVER_WARM")


def listen(argv: list[str]) -> int:
    """The fd of the socket runserver's ADDRPORT names, listening; the one a re-exec inherited if any."""
    if LISTEN_FD in os.environ:
        return int(os.environ[LISTEN_FD])
    given = next((arg for arg in argv if not arg.startswith("-")), None)
    # runserver's default address, on the web port's one definition: read only when none is given.
    addrport = given or f"127.0.0.1:{runpy.run_path(str(PROJECT / 'config' / 'ports.py'))['WEB']}"
    host, _, port = addrport.rpartition(":")
    try:
        server = socket.create_server((host or "127.0.0.1", int(port)), backlog=128)
    except (OSError, ValueError) as error:
        sys.exit(f"devserver: cannot listen on {addrport}: {error}; free the port or give another")
    return kept_across_reexec(server, LISTEN_FD)


def listen_for_metrics() -> int | None:
    """The fd of the metrics port's socket (METRICS_PORT, ops/metrics.py), owned here like the app's:
    a scrape during a reload waits for the next child. None when no metrics are served."""
    if METRICS_FD in os.environ:
        return int(os.environ[METRICS_FD])
    # Parsed by config/env.py, run from its file rather than imported: this parent imports no project
    # code (importing config would load the whole project), so every child imports config fresh.
    port = runpy.run_path(str(PROJECT / "config" / "env.py"))["metrics_port"]()
    if not port:
        return None
    # A new start, not a re-exec: forget the last run's values (as ops.metrics.clear_multiprocess_dir
    # does; this parent imports no project code).
    if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        for stale in Path(directory).glob("*.db"):
            stale.unlink()
    try:
        server = socket.create_server(("0.0.0.0", port), backlog=16)
    except OSError as error:
        sys.exit(f"devserver: cannot serve metrics on METRICS_PORT={port}: {error}; free the port or set another")
    return kept_across_reexec(server, METRICS_FD)


def kept_across_reexec(server: socket.socket, variable: str) -> int:
    """The listening socket's fd, inherited by the children and named in VARIABLE for a re-exec of this parent."""
    fd = server.detach()
    os.set_inheritable(fd, True)
    os.environ[variable] = str(fd)
    return fd


def serve_on_inherited_socket(fd: int) -> None:
    """runserver made to serve on the parent's socket instead of binding its own, and, on a change, to
    stop accepting and let the answers in flight finish before the child exits: an answer cut off
    would end `kubectl port-forward` as a refused connection would."""
    from django.core.management.commands import runserver
    from django.core.servers import basehttp
    from django.utils import autoreload

    # Connections accepted whose first request has not reached the app yet; answers in flight.
    servers, unstarted, busy, idle = [], set(), [0], threading.Condition()

    class InheritedSocketServer(runserver.Command.server_cls):
        def server_bind(self) -> None:
            self.socket.close()
            self.socket = socket.socket(fileno=os.dup(fd))
            self.server_address = self.socket.getsockname()
            self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]
            self.setup_environ()

        def server_activate(self) -> None:
            servers.append(self)  # listening since the parent made it

        def serve_forever(self, poll_interval: float = 0.02) -> None:
            super().serve_forever(poll_interval)  # shutdown() waits up to one interval (0.5 s by default)

        # Known from its accept, in serve_forever's own thread, so the child cannot exit between the
        # accept and the handler thread's reading of its first request (that would reset it).
        def verify_request(self, request, client_address) -> bool:
            with idle:
                unstarted.add(request)
            return True

        def shutdown_request(self, request) -> None:
            try:
                super().shutdown_request(request)
            finally:
                with idle:
                    unstarted.discard(request)
                    idle.notify_all()

    answer = basehttp.ServerHandler.run

    def counted(handler, application) -> None:
        with idle:
            unstarted.discard(handler.request_handler.connection)  # an idle keep-alive one holds nothing up
            busy[0] += 1
        try:
            answer(handler, application)
        finally:
            with idle:
                busy[0] -= 1
                idle.notify_all()

    def requests_unread() -> list:
        """Accepted connections with a request waiting to be read. An idle one (a browser's preconnect)
        holds nothing up: closing it is a clean end, which clients expect of an idle connection."""
        try:
            return select.select(list(unstarted), [], [], 0)[0]
        except (OSError, ValueError):  # one closed meanwhile: ask again
            return [None]

    def finish_then_reload(filename) -> None:
        autoreload.logger.info("%s changed, reloading.", filename)
        for server in servers:
            server.shutdown()  # the next connection waits in the parent's backlog for the next child
        deadline = time.monotonic() + DRAIN_SECONDS
        with idle:
            while (pending := busy[0] or requests_unread()) and time.monotonic() < deadline:
                idle.wait(0.01)
        if pending:  # said, since a request may be cut off: the browser shows an error, not the new code
            autoreload.logger.warning("devserver: gave up draining after %s s; a request may be cut off", DRAIN_SECONDS)
        sys.exit(RELOAD)

    runserver.Command.server_cls = InheritedSocketServer
    basehttp.ServerHandler.run = counted
    autoreload.trigger_reload = finish_then_reload


def migrate_if_behind() -> None:
    """Apply the migrations this code has and the database lacks (one that arrived by sync, or that
    `invoke makemigrations` wrote), before the child serves: requests wait in the parent's backlog
    meanwhile, so web is out of service for no longer than the migration takes."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        if plan:
            names = ", ".join(f"{migration.app_label}.{migration.name}" for migration, _ in plan)
            started = time.monotonic()
            call_command("migrate", interactive=False, verbosity=0)
            print(f"devserver: applied {names} in {time.monotonic() - started:.2f}s", flush=True)
    except Exception as error:  # a broken migration must not stop the loop: /readyz names "migrations" meanwhile
        print(f"devserver: migrate failed ({type(error).__name__}: {error}); fix the migration and save it", flush=True)
    finally:
        connection.close()


def watch_migrations(sender, **kwargs) -> None:
    """Reload on a new migration file too: the reloader watches only the modules imported so far, and a
    migration that just arrived was never imported."""
    from django.apps import apps

    for config in apps.get_app_configs():
        folder = Path(config.path) / "migrations"
        if folder.is_dir() and folder.is_relative_to(PROJECT):
            sender.watch_dir(folder, "*.py")


def run_child(argv: list[str], fd: int, metrics_fd: int | None) -> None:
    """In the forked child: runserver as Django's reloader runs its child, then exit at once."""
    os.environ["RUN_MAIN"] = "true"  # django.utils.autoreload: serve and watch, don't spawn
    code = 1
    try:
        from django.core.management import execute_from_command_line

        # On a reload, not at the pod's start: then the migrate Job applies them (the Deployment's order).
        if warmfork.forked and os.environ.get(MIGRATE_ON_RELOAD) == "1":
            migrate_if_behind()
        serve_on_inherited_socket(fd)
        from django.utils.autoreload import autoreload_started

        autoreload_started.connect(watch_migrations)
        if metrics_fd is not None:
            from ops import metrics

            metrics.serve(listening=socket.socket(fileno=os.dup(metrics_fd)))
        execute_from_command_line([MANAGE, "runserver", *argv])
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 1
    except KeyboardInterrupt:
        code = 0
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        # No interpreter teardown: it takes a quarter of a second and the next child waits for it.
        os._exit(code)


def serve(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    started = time.monotonic()
    held = warm()
    print(f"devserver: libraries imported once in {time.monotonic() - started:.2f}s; restarts fork from here")
    fd, metrics_fd = listen(argv), listen_for_metrics()
    # runserver's child exits 0 on SIGTERM.
    return warmfork.fork_children(lambda: run_child(argv, fd, metrics_fd), held, "devserver")


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:]))
