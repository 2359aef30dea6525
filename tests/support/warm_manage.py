"""Many `manage.py` runs for the price of one interpreter: a warm parent forks one child per run.

Each run needs an interpreter of its own (settings are read once per process), but most of a Django
start-up is importing the libraries, the same for every run. So the parent imports the dev server's
warm list once, checked safe to fork from as the dev server checks it (app/devtools/warmfork.py,
never the project's code), and each child gets its run's environment and argv before importing the
project: what the dev server's children do on every reload.

Run by path from app/ (the cases as JSON on stdin: {name: [env, argv]}); prints JSON: {name: [code,
stdout, stderr]}. tests/support/processes.py: manage_many is the one caller.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback

sys.path[0] = os.getcwd()  # app/ in place of this folder, as `python manage.py` would have it

from devtools import warmfork  # noqa: E402 - found on the path set above
from devtools.devserver import WARM  # noqa: E402


def child(env: dict[str, str], argv: list[str], out: int, err: int) -> int:
    """One manage.py run in this fresh fork: its environment, argv and output, then manage.main()."""
    os.dup2(out, 1)
    os.dup2(err, 2)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["manage.py", *argv]
    try:
        import manage

        manage.main()
        code = 0
    except SystemExit as stop:  # as the interpreter maps it: None is 0, a text is printed and is 1
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    return code


def main() -> None:
    cases = json.load(sys.stdin)
    warmfork.warm(WARM, "warm_manage", "WARM_MANAGE_EXTRA")
    running = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, (env, argv) in cases.items():
            out, err = (os.open(f"{scratch}/{len(running)}.{kind}", os.O_RDWR | os.O_CREAT) for kind in ("out", "err"))
            pid = os.fork()
            if pid == 0:
                os._exit(child(env, argv, out, err))  # no atexit, no flush of the parent's buffers twice
            running[pid] = (name, out, err)
        results = {}
        for pid, (name, out, err) in running.items():
            _, status = os.waitpid(pid, 0)
            texts = [os.pread(fd, os.fstat(fd).st_size, 0).decode(errors="replace") for fd in (out, err)]
            results[name] = [os.waitstatus_to_exitcode(status), *texts]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
