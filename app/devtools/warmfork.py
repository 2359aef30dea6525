"""Restart a dev process by forking a warm parent: what devserver.py and devworker.py share.

The parent imports a list of libraries once (never the project's code) and forks a child per run.
A child that ends with status RELOAD ("a file changed, run me again") is followed by a fresh fork,
which imports the project anew. If a file the parent itself imported changed (a dependency
upgrade, or these files), the parent re-executes itself in place instead, so it never forks
stale code. SIGTERM to the parent (kubelet and `docker stop` signal only PID 1) is passed on to
the child, and the parent exits once the child has.

Forking is safe only while the warm list starts no thread and opens no socket (docs/devserver.md):
warm() checks every import and stops before the first fork, naming the module.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import NoReturn

RELOAD = 3  # the exit status Django's reloader uses for "a file changed, run me again"


def warm(modules: Sequence[str], who: str, extra: str) -> dict[str, float]:
    """Import MODULES and those named in the environment variable EXTRA, each checked safe to fork
    from; return the mtime of every file held. WHO names the program in the one-line refusal."""
    more = [name.strip() for name in os.environ.get(extra, "").split(",") if name.strip()]
    # Under debugpy, the debugger's own threads and sockets come and go as a client attaches.
    check = "debugpy" not in sys.modules
    before = threads_and_fds()
    for name in [*more, *modules]:  # the developer's own additions first: a bad one fails at once
        importlib.import_module(name)
        after = threads_and_fds()
        if check and (problem := fork_hazard(before, after)):
            print(
                f"{who}: importing {name} {problem}: remove it from WARM in devtools/{who}.py (or {extra})",
                file=sys.stderr,
                flush=True,
            )
            os._exit(1)  # not sys.exit: interpreter exit would wait for that thread
        before = after
    return file_times()


def threads_and_fds() -> tuple[set[str], set[str]]:
    """This process's thread ids and open fds, from /proc."""
    # os.listdir opens an fd of its own (the lowest free one) and lists it: leave that one out.
    listing = os.open("/dev/null", os.O_RDONLY)
    os.close(listing)
    return set(os.listdir("/proc/self/task")), set(os.listdir("/proc/self/fd")) - {str(listing)}


def fork_hazard(before: tuple[set[str], set[str]], after: tuple[set[str], set[str]]) -> str | None:
    """What appeared between two snapshots that fork cannot copy (a thread) or would share (a socket)."""
    (tasks, fds), (now_tasks, now_fds) = before, after
    if started := sorted(now_tasks - tasks):
        names = {str(thread.native_id): thread.name for thread in threading.enumerate()}
        tid = started[0]
        what = f"thread {names[tid]!r}" if tid in names else f"a native thread (tid {tid})"
        return f"started {what}, which fork does not copy into the children"
    for fd in sorted(now_fds - fds, key=int):
        with contextlib.suppress(OSError):  # closed again already
            target = os.readlink(f"/proc/self/fd/{fd}")
            if not target.startswith("/"):  # socket:[..], pipe:[..], anon_inode:[eventpoll]: not a file
                return f"opened {target} (fd {fd}), which every forked child would share"
    return None


def file_times() -> dict[str, float]:
    times = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path:
            try:
                times[path] = os.stat(path).st_mtime
            except OSError:
                times[path] = 0.0
    return times


# How many children this parent has forked; a child reads the count as it was at its fork (0: the first
# since the parent started, not a reload).
forked = 0


def fork_children(
    run_child: Callable[[], NoReturn], held: dict[str, float], who: str, on_stop: Callable[[], None] = lambda: None
) -> int:
    """Fork RUN_CHILD again each time it exits with RELOAD; return the exit status for the parent.

    ON_STOP runs in the parent when SIGTERM arrives, before the child is told to stop."""
    child, stopping = 0, False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        on_stop()
        if child:
            with contextlib.suppress(ProcessLookupError):  # gone already: the loop ends
                os.kill(child, signal.SIGTERM)

    global forked
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the child from the terminal
    while not stopping:
        sys.stdout.flush()  # or the child inherits, and prints again, what is still buffered
        child = os.fork()
        forked += 1  # in the parent only: a child sees how many were forked before it
        if child == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.default_int_handler)
            run_child()
        _, status = os.waitpid(child, 0)
        child = 0
        code = os.waitstatus_to_exitcode(status)
        if stopping:
            return 0
        if code != RELOAD:
            return code if code >= 0 else 128 - code
        changed = sorted(path for path, mtime in file_times().items() if held.get(path) != mtime)
        if changed:
            print(f"{who}: {changed[0]} changed; restarting with fresh libraries", flush=True)
            os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])
    return 0
