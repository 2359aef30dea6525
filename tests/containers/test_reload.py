"""The dev loop in real containers: edits synced by tar reach web, worker and beat in place.

The dev image runs as the dev overlay says (read-only root, /app an emptyDir seeded by the init
container, uid 10001); edits arrive as skaffold and Tilt send them.
"""

import time
import uuid

import pytest
import requests

from tasks import ports
from tasks.bench.testbed import WEB
from tests.containers.sync import SKAFFOLD_UNTAR, TILT_UNTAR, edited, sync
from tests.support.jobs import job, submit
from tests.support.processes import wait_until

pytestmark = [pytest.mark.docker, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def dev(rendered, datastores, dev_image):
    from tests.containers.conftest import Pods

    pods = Pods("dev", rendered["dev"], dev_image.tag, datastores)
    migrate = pods.start("migrate")
    assert migrate.wait() == 0, migrate.logs()
    yield pods
    pods.remove_all()


def healthz() -> dict | None:
    try:
        return requests.get(f"{WEB}/healthz", timeout=2).json()
    except (requests.RequestException, ValueError):
        return None


# runserver answers before its file watcher is set up: an edit in that first moment is
# missed (measured: an edit 0 s after the first answer was once missed, 0.3 s after never).
RELOADER_SETTLE_SECONDS = 1.5


def test_an_edited_view_is_served_without_a_rebuild_or_restart(dev):
    web = dev.start("web")
    wait_until("web to answer", lambda: healthz() == {"status": "ok"}, 60)
    time.sleep(RELOADER_SETTLE_SECONDS)
    token = uuid.uuid4().hex[:8]
    change = edited(
        "ops/health.py",
        '"/healthz":\n            return JsonResponse({"status": "ok"})',
        f'"/healthz":\n            return JsonResponse({{"status": "ok", "edit": "{token}"}})',
    )
    started = time.monotonic()
    sync(web, {"app/ops/health.py": change}, SKAFFOLD_UNTAR)
    wait_until("the edited view to be served", lambda: (healthz() or {}).get("edit") == token, 30, 0.05)
    print(f"web edit-to-served: {time.monotonic() - started:.2f}s")
    assert web.running()  # the same container: runserver reloaded in place
    owner = web.exec("stat", "-c", "%u", "/app/ops/health.py").stdout.decode().strip()
    assert owner == "10001"


def submit_and_wait(dev) -> dict:
    job_id = submit(WEB, "reload me")
    return wait_until("the job", lambda: (now := job(WEB, job_id))["status"] == "done" and now, 30)


def test_an_edited_task_body_runs_in_the_worker_after_a_sync(dev):
    dev.start("web")
    wait_until("web to answer", lambda: healthz() == {"status": "ok"}, 60)
    worker = dev.start("worker")
    wait_until("the worker to be ready", lambda: "ready." in worker.logs(), 60)
    assert "edit" not in submit_and_wait(dev)["result"]

    token = uuid.uuid4().hex[:8]
    change = edited(
        "analysis/text.py",
        '        "characters": len(text),',
        f'        "characters": len(text),\n        "edit": "{token}",',
    )
    started = time.monotonic()
    sync(worker, {"app/analysis/text.py": change}, TILT_UNTAR)
    wait_until(
        "the worker to run the edited task", lambda: submit_and_wait(dev)["result"].get("edit") == token, 60, 0.2
    )
    print(f"worker edit-to-new-result: {time.monotonic() - started:.2f}s")
    assert worker.running()
    assert worker.logs().count("ready.") >= 2  # devtools/devworker.py forked a new celery inside the same container


def schedule_files(beat) -> set[str]:
    """Beat's schedule files (shelve may add suffixes such as .db, .dat, .dir)."""
    result = beat.exec("sh", "-c", "ls /tmp/celerybeat-schedule*")
    return set(result.stdout.decode().split()) if result.returncode == 0 else set()


def test_beat_restarts_on_a_python_edit_with_a_fresh_schedule(dev):
    beat = dev.start("beat")
    wait_until("beat to start", lambda: "beat: Starting..." in beat.logs(), 60)
    wait_until("beat's schedule file", lambda: schedule_files(beat), 30)
    # A leftover of the kind a crashed beat leaves: the restart must remove it. (Not inode
    # numbers: tmpfs hands a freed one to the next file, so "new inode" proves nothing.)
    assert beat.exec("touch", "/tmp/celerybeat-schedule.stale").returncode == 0
    sync(beat, {"app/config/beat.py": edited("config/beat.py", "def main() -> None:", "def main() -> None:  # edited")})
    wait_until("beat to restart", lambda: beat.logs().count("beat: Starting...") >= 2, 30)
    assert "beat: removed stale /tmp/celerybeat-schedule.stale" in beat.logs()
    files = wait_until("beat's new schedule file", lambda: schedule_files(beat), 30)
    assert "/tmp/celerybeat-schedule.stale" not in files
    assert beat.running()


def test_a_template_edit_does_not_restart_the_worker(dev):
    worker = dev.start("worker")
    wait_until("the worker to be ready", lambda: "ready." in worker.logs(), 60)
    sync(worker, {"app/analysis/templates/analysis/index.html": b"<p>edited</p>"})
    # Then a module edit, which restarts it: devtools/devworker.py sees changes in order, so once it restarts for
    # the module it has already passed over the template (had that restarted it, it would say so first).
    module = edited(
        "analysis/text.py", '        "characters": len(text),', '        "characters": len(text),  # edited'
    )
    sync(worker, {"app/analysis/text.py": module})
    wait_until("the worker to restart for the module", lambda: worker.logs().count("ready.") == 2, 60)
    restarts = [line for line in worker.logs().splitlines() if line.startswith("devworker: ") and "changed" in line]
    assert restarts == ["devworker: /app/analysis/text.py changed, restarting"], restarts


def test_debugpy_listens_only_when_asked(dev):
    from tasks.services.reach import port_open

    web = dev.start("web")
    wait_until("web to answer", lambda: healthz() == {"status": "ok"}, 60)
    assert not port_open("127.0.0.1", ports.DEBUGPY)
    web.remove()
    dev.start("web", DEBUGPY="1")
    wait_until("web under debugpy to answer", lambda: healthz() == {"status": "ok"}, 60)
    assert port_open("127.0.0.1", ports.DEBUGPY)  # VS Code attaches here through the port-forward
