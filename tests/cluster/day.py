"""A developer's day beyond an edit, the same through skaffold dev and tilt up: a model change made live by
`invoke makemigrations`, and `invoke manage` in the loop's web pod. Each test module runs these on its loop."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tasks.bench import lock_edit
from tasks.cluster.client import Cluster, env
from tasks.paths import ROOT
from tests.cluster import commands
from tests.cluster.commands import delete_namespace
from tests.cluster.loop import get_json, post_job, web_pod
from tests.support import model_change
from tests.support.doc_blocks import run_as_written, sh_blocks
from tests.support.processes import http_status, wait_until
from tests.testenv import databases_of_their_own


def invoke(copy: Path, cluster: Cluster, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`invoke ARGS` in the loop's checkout, as a developer types it beside the running loop."""
    return subprocess.run(
        [str(copy / ".venv" / "bin" / "invoke"), *args],
        cwd=copy,
        env=env(cluster),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def a_model_change_is_migrated_in_place(base: str, copy: Path, cluster: Cluster, namespace: str) -> float:
    """A field saved on Job, then `invoke makemigrations --app analysis`: the API serves the field from the same pod.
    Returns the seconds from `invoke makemigrations` typed to the field served (the migration is made in the pod,
    whose dev server applies it on the reload its new file starts, while invoke copies it into the checkout)."""
    before = web_pod(cluster, namespace)
    post_job(base, "a job for the listing")
    name, default = f"label_{uuid.uuid4().hex[:6]}", "fresh"
    for path, content in model_change.field_edit(name, default).items():
        (copy / path).write_bytes(content)
    # Until the migration is applied, the listing fails on the missing column (Django's debug page in dev).
    wait_until("the listing to fail on the missing column", lambda: http_status(f"{base}/api/jobs") == 500, 60, 0.2)

    typed = time.monotonic()
    made = invoke(copy, cluster, "makemigrations", "--app", "analysis", "--namespace", namespace)
    assert made.returncode == 0, made.stdout + made.stderr
    migration = copy / "app" / "analysis" / "migrations" / f"0002_job_{name}.py"
    assert f"makemigrations: wrote {migration.relative_to(copy)}" in made.stdout, made.stdout
    assert f"name='{name}'" in migration.read_text() or f'name="{name}"' in migration.read_text()

    wait_until(
        "the new field to be served",
        lambda: model_change.listed(get_json(f"{base}/api/jobs"), name) == default,
        60,
        0.1,
    )
    took = time.monotonic() - typed
    assert web_pod(cluster, namespace) == before  # the same pod and image: no rebuild, no restart
    assert get_json(f"{base}/readyz") == {"status": "ok"}
    again = invoke(copy, cluster, "makemigrations", "--namespace", namespace)
    assert again.returncode == 0 and "makemigrations: no changes" in again.stdout, again.stdout + again.stderr
    return took


def manage_runs_in_the_web_pod_with_its_exit_code(copy: Path, cluster: Cluster, namespace: str) -> None:
    shell = invoke(
        copy, cluster, "manage", "--namespace", namespace, "--", "shell", "-c", "import os; print(os.getcwd(), 6 * 7)"
    )
    assert shell.returncode == 0, shell.stdout + shell.stderr
    assert "/app 42" in shell.stdout
    wrong = invoke(copy, cluster, "manage", "--namespace", namespace, "--", "migrate", "analysis", "9999_nope")
    assert wrong.returncode == 1, wrong.stdout + wrong.stderr  # manage.py's own exit code, passed through
    assert "9999_nope" in wrong.stderr
    elsewhere = invoke(copy, cluster, "manage", "--namespace", f"{namespace}-absent", "--", "check")
    assert elsewhere.returncode == 1
    assert elsewhere.stderr.strip().startswith(f"manage: no web Deployment in namespace {namespace}-absent of ")


SEEDED = {f"5eed0000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3)}  # app/analysis/fixtures/seed.json


def _job_ids(base: str) -> set[str] | None:
    listing = get_json(f"{base}/api/jobs")
    return {job["id"] for job in listing["jobs"]} if listing and "jobs" in listing else None


def data_commands_seed_snapshot_reset_and_restore(base: str, copy: Path, cluster: Cluster, namespace: str) -> None:
    """invoke db.seed, db.snapshot, db.reset, db.restore and db.snapshots on the loop's own PostgreSQL, each
    seen through the API; and each refusing what is not the loop's, or not a snapshot, with one line."""

    def db(*args: str) -> subprocess.CompletedProcess:
        return invoke(copy, cluster, *args, "--namespace", namespace)

    seeded = db("db.seed")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    assert _job_ids(base) >= SEEDED
    snap = f"seeded_{uuid.uuid4().hex[:6]}"
    taken = db("db.snapshot", snap)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    assert f"copied to snapshot {snap} in " in taken.stdout
    print(taken.stdout.strip().splitlines()[-1])
    again = db("db.snapshot", snap)
    assert again.returncode == 1 and again.stderr.strip() == (
        f"db.snapshot: snapshot {snap} exists: pick another name (invoke db.snapshots lists them)"
    )
    listed = db("db.snapshots")
    assert listed.returncode == 0 and any(line.split()[0] == snap for line in listed.stdout.splitlines()), listed.stdout

    extra = post_job(base, "made after the snapshot")["id"]
    reset = db("db.reset")
    assert reset.returncode == 0, reset.stdout + reset.stderr
    assert "is empty and migrated in " in reset.stdout
    print(reset.stdout.strip().splitlines()[-1])
    wait_until("the API to list no job after the reset", lambda: _job_ids(base) == set(), 30, 0.2)
    assert get_json(f"{base}/readyz") == {"status": "ok"}

    restored = db("db.restore", snap)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    print(restored.stdout.strip().splitlines()[-1])
    wait_until(
        "the API to list the snapshot's jobs", lambda: (ids := _job_ids(base)) is not None and ids >= SEEDED, 30, 0.2
    )
    assert extra not in _job_ids(base)
    assert snap in db("db.snapshots").stdout  # restoring keeps the snapshot

    for args, code, line in (
        (("db.restore", "never_taken"), 1, "db.restore: no snapshot never_taken (have: "),
        (("db.snapshot", "Not-A-Name"), 2, "db.snapshot: snapshot name 'Not-A-Name' is not 1-30 lowercase letters"),
    ):
        refused = db(*args)
        assert refused.returncode == code and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert refused.stderr.startswith(line), refused.stderr
    elsewhere = invoke(copy, cluster, "db.reset", "--namespace", "kube-system")
    assert elsewhere.returncode == 1 and elsewhere.stderr.strip() == (
        f"db.reset: no web Deployment in namespace kube-system of context {cluster.context}: start the dev loop "
        "(./bin/up) or pass its --namespace"
    )
    not_dev = namespace_with_a_web_of_another_overlay(cluster)
    try:
        refused = invoke(copy, cluster, "db.reset", "--namespace", not_dev)
        assert refused.returncode == 1 and refused.stderr.strip() == (
            f"db.reset: namespace {not_dev} of context {cluster.context} is not the dev loop's (its web lacks "
            "DEVSERVER_MIGRATE=1, which only k8s/overlays/dev sets): refused; pass the loop's --namespace"
        )
    finally:
        delete_namespace(cluster, not_dev)


def namespace_with_a_web_of_another_overlay(cluster: Cluster) -> str:
    """A namespace whose web Deployment (no replicas: only its spec is read) takes staging-like config."""
    name = commands.namespace(cluster, "not-dev")
    config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "app-config", "namespace": name},
        "data": {"DEBUG": "false"},
    }
    labels = {"app": "web"}
    web = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": name},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "shipyard-app:prod",
                            "envFrom": [{"configMapRef": {"name": "app-config"}}],
                        }
                    ]
                },
            },
        },
    }
    commands.apply(cluster, config, web)
    return name


def a_branch_without_the_migration_is_named(base: str, copy: Path, cluster: Cluster, namespace: str) -> None:
    """After a_model_change_is_migrated_in_place: as `git switch` to a branch without that change (here a stash),
    the tools sync the removal and web reloads; /readyz stays ready but names the migration the database has and
    the code lacks, and so does `invoke doctor`, with the fix. Back again (stash pop), the answer is clean."""
    (migration,) = (copy / "app" / "analysis" / "migrations").glob("0002_job_label_*.py")
    git = ["git", "-c", "user.name=dev", "-c", "user.email=dev@localhost"]
    stash = [*git, "stash", "push", "--include-untracked", "--", "app"]  # app/ only: .venv here is a symlink
    subprocess.run(stash, cwd=copy, check=True, capture_output=True)
    try:

        def named() -> dict | None:
            answer = get_json(f"{base}/readyz")
            return answer if answer and answer.get("unknown_migrations") else None

        ahead = wait_until("/readyz to name the migration the code lacks", named, 60, 0.2)
        assert ahead["status"] == "ok" and ahead["unknown_migrations"] == [f"analysis.{migration.stem}"], ahead
        doctor = invoke(copy, cluster, "doctor", "--namespace", namespace, timeout=120)
        (line,) = [line for line in doctor.stdout.splitlines() if " database: " in line]
        assert line.startswith(f"FAIL database: has 1 migration(s) this checkout lacks: analysis.{migration.stem}; ")
        assert "`invoke db.restore NAME`" in line and "`invoke manage -- migrate APP TARGET`" in line
    finally:
        subprocess.run([*git, "stash", "pop"], cwd=copy, check=True, capture_output=True)
    wait_until(
        "/readyz to be clean on the branch that has it", lambda: get_json(f"{base}/readyz") == {"status": "ok"}, 60, 0.2
    )
    doctor = invoke(copy, cluster, "doctor", "--namespace", namespace, timeout=120)
    assert "ok   database: the running loop's database has exactly this checkout's migrations" in doctor.stdout


def a_new_dependency_is_locked_built_and_served(base: str, copy: Path, cluster: Cluster, namespace: str) -> float:
    """Code that uses a new package, its line in app.in, `invoke lock`: the tool rebuilds the image and rolls the
    pods, and web answers with the package's version from a new image. The seconds from the lock to served."""
    before = web_pod(cluster, namespace)
    release = lock_edit.next_release(None)
    took = lock_edit.lock_to_served(copy, lambda: (get_json(f"{base}/api/jobs") or {}).get("edit"), release, print)
    # Served by the new pod while the old one may still be terminating: wait for the rollout to end.
    after = wait_until("web's rollout to leave one pod", lambda: web_pod(cluster, namespace), 120, 0.5)
    assert after[1] != before[1], (before, after)  # rebuilt: a new image, not a restart
    app_lock = (copy / "requirements" / "app.txt").read_text()
    assert f"{lock_edit.PACKAGE}=={release}\n" in app_lock
    return took


def an_app_of_your_own_as_docs_make_it_yours_says(
    copy: Path, cluster: Cluster, namespace: str, restart: Callable[[], None]
) -> None:
    """docs/make-it-yours.md's "Add an app" blocks, run as written beside the loop, with the loop's namespace made
    the context's own (`kubectl config set-context`, as a developer does; undone after), and the loop restarted
    where the page says: the app, its model and migration made in the pod, its tasks, beat's schedule, a note the
    worker counts, and the app's own test."""
    page = ROOT / "docs" / "make-it-yours.md"
    first, *rest = sh_blocks(page, "3.")
    after_first = page.read_text().split(first, 1)[1].split("```sh", 1)[0]
    assert "Ctrl+C" in after_first and "./bin/up" in after_first, "the page must say to restart the loop here"
    kubeconfig = cluster.kubeconfig.read_bytes()
    subprocess.run(
        [str(copy / ".venv" / "bin" / "kubectl"), "config", "set-context", cluster.context, f"--namespace={namespace}"],
        env=env(cluster),
        check=True,
        capture_output=True,
    )
    try:
        # The new app's own test gets a database of its own: this run's test database is still open.
        developer = env(cluster) | databases_of_their_own(f"notes_{os.getpid()}")
        run_as_written(first, copy, developer)
        restart()
        said = {block: run_as_written(block, copy, developer) for block in rest}
    finally:
        cluster.kubeconfig.write_bytes(kubeconfig)
    made, counted, tested = (
        next(out for block, out in said.items() if key in block)
        for key in ("invoke makemigrations", "sleep", "invoke test")
    )
    assert "makemigrations: wrote app/notes/migrations/0001_initial.py" in made, made
    assert counted.strip().splitlines()[-1] == "3", counted  # the worker counted the words beat asked it to count
    assert " 1 passed" in tested, tested
