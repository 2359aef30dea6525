"""A developer's day beyond an edit, the same through skaffold dev and tilt up: a model change made live by
`invoke makemigrations`, and `invoke manage` in the loop's web pod. Each test module runs these on its loop."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

from tasks.cluster.client import Cluster, env
from tests.cluster.loop import get_json, post_job, web_pod
from tests.support import model_change
from tests.support.processes import http_status, wait_until


def invoke(copy: Path, cluster: Cluster, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`invoke ARGS` in the loop's checkout, as a developer types it beside the running loop."""
    return subprocess.run([str(copy / ".venv" / "bin" / "invoke"), *args], cwd=copy, env=env(cluster),
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def a_model_change_is_migrated_in_place(base: str, copy: Path, cluster: Cluster, namespace: str) -> float:
    """A field saved on Job, then `invoke makemigrations --app analysis`: the API serves the field from the same pod.
    Returns the seconds from the migration written into the checkout to the field served."""
    before = web_pod(cluster, namespace)
    post_job(base, "a job for the listing")
    name, default = f"label_{uuid.uuid4().hex[:6]}", "fresh"
    for path, content in model_change.field_edit(name, default).items():
        (copy / path).write_bytes(content)
    # Until the migration is applied, the listing fails on the missing column (Django's debug page in dev).
    wait_until("the listing to fail on the missing column", lambda: http_status(f"{base}/api/jobs") == 500, 60, 0.2)

    made = invoke(copy, cluster, "makemigrations", "--app", "analysis", "--namespace", namespace)
    written = time.monotonic()
    assert made.returncode == 0, made.stdout + made.stderr
    migration = copy / "app" / "analysis" / "migrations" / f"0002_job_{name}.py"
    assert f"makemigrations: wrote {migration.relative_to(copy)}" in made.stdout, made.stdout
    assert f"name='{name}'" in migration.read_text() or f'name="{name}"' in migration.read_text()

    wait_until("the new field to be served", lambda: model_change.listed(get_json(f"{base}/api/jobs"), name) == default,
               60, 0.1)  # fmt: skip
    took = time.monotonic() - written
    assert web_pod(cluster, namespace) == before  # the same pod and image: no rebuild, no restart
    assert get_json(f"{base}/readyz") == {"status": "ok"}
    again = invoke(copy, cluster, "makemigrations", "--namespace", namespace)
    assert again.returncode == 0 and "makemigrations: no changes" in again.stdout, again.stdout + again.stderr
    return took


def manage_runs_in_the_web_pod_with_its_exit_code(copy: Path, cluster: Cluster, namespace: str) -> None:
    shell = invoke(copy, cluster, "manage", "--namespace", namespace, "--", "shell", "-c",
                   "import os; print(os.getcwd(), 6 * 7)")  # fmt: skip
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert "/app 42" in shell.stdout
    wrong = invoke(copy, cluster, "manage", "--namespace", namespace, "--", "migrate", "analysis", "9999_nope")
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr  # manage.py's own exit code, passed through
    assert "9999_nope" in wrong.stderr
    elsewhere = invoke(copy, cluster, "manage", "--namespace", f"{namespace}-absent", "--", "check")
    assert elsewhere.returncode == 1
    assert elsewhere.stderr.strip().startswith(f"manage: no web Deployment in namespace {namespace}-absent of ")
