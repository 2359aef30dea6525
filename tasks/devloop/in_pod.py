"""manage.py in the dev loop's running web pod: the loop's image, settings and PostgreSQL.

`invoke manage -- ARGS` runs any management command there; `invoke makemigrations` runs makemigrations there
and copies the files it wrote into this checkout, whose sync then brings them back unchanged.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

from invoke.exceptions import Exit

from tasks.devloop import targets
from tasks.paths import APP, tool

POD_APP = Path("/app")  # the Dockerfile's `COPY app/ /app/`, skaffold's and Tilt's sync target


def _base(target: targets.Target, namespace: str) -> list[str]:
    return [tool("kubectl"), "--context", target.context, *(["--namespace", namespace] if namespace else [])]


def exec_in_web(target: targets.Target, namespace: str) -> list[str]:
    """kubectl's argv up to the command, for `exec` in the web container of the loop at TARGET."""
    return [*_base(target, namespace), "exec", "deployment/web", "-c", "web"]


def web(command: str, namespace: str) -> tuple[targets.Target, list[str], dict[str, str]]:
    """The loop's cluster, kubectl's argv up to `exec`'s command and its environment; Exit (one line) when no
    loop's web runs there."""
    target, why = targets.find(namespace)
    if target is None:
        raise Exit(f"{command}: {why}: start the dev loop first (./bin/up)", code=1)
    env = {**os.environ, **target.env}
    found = subprocess.run(
        [*_base(target, namespace), "get", "deployment", "web", "-o", "name"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if found.returncode != 0:
        where = f"namespace {namespace}" if namespace else "the context's namespace"
        raise Exit(
            f"{command}: no web Deployment in {where} of {target.context}: start the dev loop first (./bin/up)"
            " or pass --namespace",
            code=1,
        )
    return target, exec_in_web(target, namespace), env


def manage(args: list[str], namespace: str = "") -> int:
    """manage.py ARGS in the web pod, with a TTY when ours is one; its exit code."""
    if not args:
        raise Exit("manage: give the command after --, e.g. invoke manage -- createsuperuser", code=2)
    _, kubectl_exec, env = web("manage", namespace)
    interactive = ["-i", "-t"] if sys.stdin.isatty() and sys.stdout.isatty() else ["-i"]
    return subprocess.run([*kubectl_exec, *interactive, "--", "python", "manage.py", *args], env=env).returncode


def _inside(relative: str) -> Path:
    """APP/relative for a path makemigrations printed, refusing one outside app/ (it never should)."""
    path = Path(relative)
    if path.is_absolute():
        path = path.relative_to(POD_APP)
    local = (APP / path).resolve()
    if not local.is_relative_to(APP.resolve()):
        raise Exit(f"makemigrations: {relative} is outside app/; not copied", code=1)
    return local


# The image leaves the app's tests out (.dockerignore), and the tools' sync follows it.
_NOT_IN_THE_POD = ("tests", "__pycache__")
# Prints "PATH SHA256" (or "PATH -") for each path on stdin, relative to the pod's /app.
_POD_DIGESTS = (
    "import hashlib, pathlib, sys\n"
    "for p in sys.stdin.read().split():\n"
    "    f = pathlib.Path(p)\n"
    "    print(p, hashlib.sha256(f.read_bytes()).hexdigest() if f.is_file() else '-')"
)
SYNC_WAIT_SECONDS = 20.0
NUDGE_AFTER_SECONDS = 3.0  # a sync takes well under a second; a missed one never comes


def _checkout_digests() -> dict[str, str]:
    """app/'s Python modules as the pod gets them: relative path -> sha256."""
    digests = {}
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP)
        if (
            not any(part in _NOT_IN_THE_POD for part in relative.parts)
            and not relative.name.startswith("test_")
            and relative.name != "conftest.py"
        ):
            digests[relative.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def _unsynced(kubectl_exec: list[str], env: dict[str, str]) -> list[str]:
    """The checkout's modules that the web pod has not got as they are here (none: in step)."""
    mine = _checkout_digests()
    theirs = subprocess.run(
        [*kubectl_exec, "-i", "--", "python", "-c", _POD_DIGESTS],
        input="\n".join(mine),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    pod = dict(line.split(" ", 1) for line in theirs.splitlines() if " " in line)
    return [path for path, digest in mine.items() if pod.get(path) != digest]


def wait_for_sync(command: str, kubectl_exec: list[str], env: dict[str, str]) -> None:
    """Wait until the web pod has every module of the checkout as saved: makemigrations on models the sync has
    not yet brought would write the wrong migration. Files still missing after NUDGE_AFTER_SECONDS are saved again
    (their mtime only): skaffold drops a new folder's files from the pods when it saw the folder empty first, and
    copies them once they change. Exit (one line) when the pod never gets them."""
    started = time.monotonic()
    nudged = False
    while unsynced := _unsynced(kubectl_exec, env):
        waited = time.monotonic() - started
        if waited > SYNC_WAIT_SECONDS:
            raise Exit(
                f"{command}: the loop's web pod still lacks your edits to app/{unsynced[0]} (and "
                f"{len(unsynced) - 1} more) after {SYNC_WAIT_SECONDS:.0f}s: is skaffold dev or tilt up "
                "still running? (docs/troubleshooting.md: a new folder's files vanish from the pods)",
                code=1,
            )
        if waited > NUDGE_AFTER_SECONDS and not nudged:
            for relative in unsynced:
                os.utime(APP / relative)
            print(
                f"{command}: the loop had not copied app/{unsynced[0]} (and {len(unsynced) - 1} more) into the "
                "pod; saved them again so it does",
                flush=True,
            )
            nudged = True
        time.sleep(0.3)


def makemigrations(apps: list[str], namespace: str = "") -> list[Path]:
    """Once the pod has the checkout's edits, run makemigrations there; write each migration it made into this
    checkout (atomically)."""
    _, kubectl_exec, env = web("makemigrations", namespace)
    wait_for_sync("makemigrations", kubectl_exec, env)
    argv = [*kubectl_exec, "--", "python", "manage.py", "makemigrations", "--scriptable", "--noinput", *apps]
    made = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
    if made.returncode != 0:
        lines = [line for line in made.stderr.splitlines() if line.strip()]
        raise Exit(f"makemigrations: {lines[-1] if lines else f'exited with {made.returncode}'}", code=1)
    written = []
    for relative in (line.strip() for line in made.stdout.splitlines() if line.strip().endswith(".py")):
        local = _inside(relative)
        content = subprocess.run(
            [*kubectl_exec, "--", "cat", str(POD_APP / local.relative_to(APP.resolve()))],
            env=env,
            capture_output=True,
            timeout=60,
            check=True,
        ).stdout
        partial = local.with_name(f".{local.name}.partial")
        partial.write_bytes(content)
        partial.replace(local)  # never a half-written migration in the checkout
        written.append(local)
    return written
