"""app/devtools/devserver.py and devworker.py refuse to fork from a parent whose warm imports start a thread or
open a socket.

Each test runs the real interpreter on the real app/; the bad modules are tiny files on PYTHONPATH,
added to the warm list through DEVSERVER_WARM or DEVWORKER_WARM as a developer would add a library.
"""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.paths import APP
from tests.support.processes import clean_env, free_port

BAD_MODULES = {
    "starts_a_thread": (
        "import threading, time\nthreading.Thread(target=time.sleep, args=(60,), name='poller').start()\n",
        "started thread 'poller'",
    ),
    "opens_a_socket": ("import socket\nCONNECTION = socket.socket()\n", "opened socket:["),
    "makes_an_event_loop": ("import asyncio\nLOOP = asyncio.new_event_loop()\n", "opened anon_inode:[eventpoll]"),
}


def run(argv: list[str], env: dict[str, str], **popen) -> subprocess.CompletedProcess:
    """Run in APP; a devserver that misses the problem goes on to serve, so stop its whole group."""
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    process = subprocess.Popen(argv, cwd=APP, env=clean_env(env), start_new_session=True, **pipes, **popen)
    try:
        out, err = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
    return subprocess.CompletedProcess(argv, process.returncode, out, err)


# Both programs that fork from a warm parent (app/devtools/warmfork.py), with the arguments they run with.
PROGRAMS = {
    "devserver": lambda: [f"127.0.0.1:{free_port()}"],
    "devworker": lambda: ["-m", "celery", "--app", "config", "worker", "--pool", "solo"],
}


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("module", BAD_MODULES)
def test_a_warm_module_that_is_unsafe_to_fork_from_stops_the_program_naming_it(program, module, tmp_path: Path):
    source, problem = BAD_MODULES[module]
    (tmp_path / f"{module}.py").write_text(source)
    extra = f"{program.upper()}_WARM"

    argv = [sys.executable, "-m", f"devtools.{program}", *PROGRAMS[program]()]
    result = run(argv, {extra: module, "PYTHONPATH": str(tmp_path)})

    assert result.returncode == 1, result
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{program}: importing {module} {problem}"), line
    assert line.endswith(f": remove it from WARM in devtools/{program}.py (or {extra})"), line
    assert "imported once" not in result.stdout  # stopped before the first fork


# Each program's warm imports, and one library they must hold.
WARM_CALLS = {
    "devserver": ("devserver.warm()", "django.core.handlers.wsgi"),
    "devworker": ("warmfork.warm(devworker.WARM, 'devworker', 'DEVWORKER_WARM')", "celery.apps.worker"),
}


@pytest.mark.slow  # a fresh interpreter importing about 900 modules: a second of a core each
@pytest.mark.parametrize("program", WARM_CALLS)
def test_the_real_warm_list_is_safe_to_fork_from_and_imports_no_project_code(program):
    # Started with an inherited socket (as a supervisor may pass one): that fd is not the imports' doing.
    # And a project module imported by the parent would be run stale by every child.
    call, library = WARM_CALLS[program]
    with socket.socket() as inherited:
        inherited.bind(("127.0.0.1", 0))
        inherited.listen()
        fd = inherited.fileno()
        probe = (
            f"import os, sys; from devtools import warmfork, {program}; "
            f"assert 'socket:' in os.readlink('/proc/self/fd/{fd}'); {call}; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('config', 'analysis', 'ops'))); "
            f"print({library!r} in sys.modules)"
        )
        result = run([sys.executable, "-c", probe], {}, pass_fds=(fd,))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.split() == ["[]", "True"]
