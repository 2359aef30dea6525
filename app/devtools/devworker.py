"""Celery's worker and beat for the dev loop, restarted on code changes by forking a warm parent.

`watchfiles 'celery --app config worker' /app` restarts the worker in a fresh interpreter on
every edit, which imports Celery, Django and kombu again before it reaches the broker. Here the
parent imports those libraries once (never the project's code) and forks a child per run
(warmfork.py, as devserver.py does for runserver). The child runs the module as `python -m`
would, and watches the project's Python files itself. On a change it sends itself SIGTERM, so
Celery shuts down warm (a running task finishes first) and the child exits with RELOAD; the
parent then forks the next child, which imports the project fresh.

A child whose program ends by itself (a syntax error, a bad option) waits for the next change
and exits with RELOAD then, so the container stays up while the code is fixed. SIGTERM to the
parent stops the child's program as a SIGTERM to Celery would, and then both exit.

Usage, from the project's directory (/app in the image; it must be on sys.path, as `-m` puts it):
       python -m devtools.devworker -m MODULE [args], e.g.
       python -m devtools.devworker -m celery --app config worker --pool solo
       python -m devtools.devworker -m config.beat
DEVWORKER_WARM=pandas,numpy adds modules to the warm list (checked like the rest).
"""

from __future__ import annotations

import os
import runpy
import select
import signal
import sys
import threading
import time
from pathlib import Path
from typing import NoReturn

from devtools import warmfork
from devtools.warmfork import RELOAD

PROJECT = Path(__file__).resolve().parent.parent  # what the children watch, the whole project: /app in the image

# What a worker or beat imports before its first task or tick that imports cleanly before Django
# is configured (docs/devserver.md says how such a list is made). Never the project's modules.
# Nothing here may start a thread or open a socket when imported: warm() checks.
WARM = (
    "celery.bin.celery",
    "celery.bin.worker",
    "celery.bin.beat",
    "celery.apps.worker",
    "celery.apps.beat",
    "celery.beat",
    "celery.worker.worker",
    "celery.worker.consumer",
    "celery.worker.strategy",
    "celery.concurrency.solo",
    "celery.concurrency.prefork",
    "celery.app.task",
    "celery.fixups.django",
    "celery.loaders.app",
    "kombu.transport.redis",
    "django.db.backends.postgresql.base",
    "django.contrib.admin.apps",
    "django.contrib.auth.apps",
    "django.contrib.contenttypes.apps",
    "django.contrib.messages.apps",
    "django.contrib.sessions.apps",
    "django.contrib.staticfiles.apps",
    "environ",
    "watchfiles",
)


def usage() -> NoReturn:
    sys.exit("devworker: give the module to run, as python -m takes it: python -m devtools.devworker -m MODULE [args]")


def watch_then_reload(reloading: threading.Event, stopped: threading.Event) -> None:
    """In the child's own thread: on the first change to a Python file, set RELOADING and stop the program."""
    from watchfiles import PythonFilter, watch

    # step: yield 50 ms after the last event of a burst (an editor's save, a sync's few files).
    for changes in watch(PROJECT, watch_filter=PythonFilter(), stop_event=stopped, step=50, raise_interrupt=False):
        path = sorted(path for _change, path in changes)[0]
        print(f"devworker: {path} changed, restarting", flush=True)
        reloading.set()
        os.kill(os.getpid(), signal.SIGTERM)  # handled in the main thread, as a SIGTERM from kubelet
        return


def run_child(module: str, args: list[str], stop_requested: int) -> NoReturn:
    """In the forked child: run MODULE as __main__ until a change or the parent's stop, then exit at once."""
    reloading, stopped = threading.Event(), threading.Event()
    threading.Thread(target=watch_then_reload, args=(reloading, stopped), name="devworker-watch", daemon=True).start()
    # Until the program installs its own handler (Celery's is a warm shutdown), SIGTERM just ends it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    code = 0
    try:
        sys.argv = [module, *args]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except KeyboardInterrupt:
        code = 0
    except BaseException:  # the program's own traceback, then wait for a fix like any other failure
        import traceback

        traceback.print_exc()
        code = 1
    # From here a SIGTERM (the parent's, or the watcher's) ends the wait below. One that came before
    # went to the program's handler: the parent wrote to the pipe first, so that one is seen there.
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    parent_stopping = select.select([stop_requested], [], [], 0)[0]
    if not reloading.is_set() and not parent_stopping:
        print(f"devworker: {module} exited with status {code}; waiting for a change to start it again", flush=True)
        while not reloading.wait(0.2) and not stopped.is_set():
            pass
    stopped.set()
    sys.stdout.flush()
    sys.stderr.flush()
    # No interpreter teardown: it takes a quarter of a second and the next child waits for it.
    os._exit(RELOAD if reloading.is_set() else code)


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "-m":
        usage()
    module, args = argv[1], argv[2:]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    started = time.monotonic()
    held = warmfork.warm(WARM, "devworker", "DEVWORKER_WARM")
    print(f"devworker: libraries imported once in {time.monotonic() - started:.2f}s; restarts fork from here")
    # The parent says it is stopping through this pipe before it signals the child: a child whose
    # program the SIGTERM ended must then exit, not wait for a change.
    stop_requested, say_stop = os.pipe()
    return warmfork.fork_children(
        lambda: run_child(module, args, stop_requested), held, "devworker", on_stop=lambda: os.write(say_stop, b"x")
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
