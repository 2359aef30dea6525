"""The whole app with real processes: gunicorn, a Celery worker and beat, PostgreSQL and Redis."""

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tasks.paths import APP
from tests.support.jobs import job, submit
from tests.support.processes import BIN, free_port, http_status, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_a_job_submitted_through_the_api_is_done_by_the_worker(stack):
    _, url = stack.start_web()
    stack.start_worker()
    job_id = submit(url, "to be or not to be")

    done = wait_until("the job to be done", lambda: job(url, job_id)["status"] == "done", 30)
    assert done
    assert stack.job_rows() == [(job_id, "done", 1)]
    result = job(url, job_id)["result"]
    assert result["words"] == 6
    assert result["top_words"][0] == ["to", 2]


def test_the_html_page_and_admin_login_are_served_with_collected_static_files(stack):
    _, url = stack.start_web()
    assert http_status(url + "/") == 200
    login = requests.get(url + "/admin/login/", timeout=5)
    assert login.status_code == 200
    # The hashed name proves the manifest storage of the prod settings is in use.
    css = next(part.split('"')[0] for part in login.text.split('href="') if part.startswith("/static/admin/css/base."))
    assert css != "/static/admin/css/base.css"
    assert http_status(url + css) == 200


def test_readiness_fails_naming_postgres_while_liveness_stays_up(stack):
    closed = free_port()
    _, url = stack.start_web(DATABASE_URL=f"postgres://shipyard:shipyard@127.0.0.1:{closed}/none")
    assert http_status(url + "/healthz") == 200
    ready = requests.get(url + "/readyz", timeout=10)
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "failing": ["postgres"]}
    assert http_status(url + "/healthz") == 200


def test_beat_schedules_the_sweep_that_requeues_a_stuck_job(stack):
    with stack.db() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO analysis_job (id, text, status, error, attempts, created_at, updated_at)"
            " VALUES (gen_random_uuid(), 'lost message', 'pending', '', 0, now() - interval '1 hour',"
            " now() - interval '1 hour') RETURNING id::text"
        )
        (job_id,) = cur.fetchone()
    stack.start_worker(ANALYSIS_STALE_AFTER_SECONDS="5")
    beat = stack.start_beat(STALE_JOB_SWEEP_SECONDS="1")
    wait_until("the stuck job to be done", lambda: stack.job_rows() == [(job_id, "done", 1)], 30)
    assert "Sending due task requeue-stale-jobs" in beat.log()
    # Its schedule is in the stack's own temp dir: a beat of another test, running beside, clears /tmp's.
    assert list(Path(stack.env["TMPDIR"]).glob("celerybeat-schedule*")), beat.log()


def probe(stack, role: str) -> subprocess.CompletedProcess:
    env = {"CELERY_HEARTBEAT_DIR": stack.env["CELERY_HEARTBEAT_DIR"], "PATH": str(BIN)}
    return subprocess.run(
        [sys.executable, "ops/heartbeat_probe.py", role], cwd=APP, env=env, capture_output=True, text=True
    )


def test_the_worker_probe_passes_while_the_worker_runs_and_fails_after(stack):
    worker = stack.start_worker()
    assert probe(stack, "worker").returncode == 0
    worker.stop()
    failed = probe(stack, "worker")
    assert failed.returncode == 1
    assert "no heartbeat file" in failed.stderr


def test_the_beat_probe_passes_while_beat_runs_and_fails_after(stack):
    beat = stack.start_beat()
    wait_until("beat's first heartbeat", lambda: probe(stack, "beat").returncode == 0, 10)
    assert probe(stack, "worker").returncode == 1  # each process has its own file
    beat.stop()
    failed = probe(stack, "beat")
    assert failed.returncode == 1
    assert "no heartbeat file" in failed.stderr
