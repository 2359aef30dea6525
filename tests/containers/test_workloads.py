"""Web, and what it serves with the others, started in Docker the way its manifest says.

Parametrised over the dev and prod overlays: the same manifests, the two images. Web takes the dev overlay's
fixed port on the host, so these run in the machine lane; the workloads that serve no port are
test_background_workloads.py's.
"""

import pytest
import requests

from tasks import ports
from tests.containers.grace import ends_within_its_grace_period
from tests.support.processes import wait_until

pytestmark = [pytest.mark.docker, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def probe_url(running, kind: str) -> str:
    """The URL of one of the main container's HTTP probes, from the manifest."""
    container = running.pod.containers[0]
    http = container.probes[kind]["httpGet"]
    port = http["port"] if isinstance(http["port"], int) else container.ports[http["port"]]
    return f"http://127.0.0.1:{port}{http['path']}"


def status(url: str, **kwargs) -> int | None:
    try:
        return requests.get(url, timeout=3, **kwargs).status_code
    except requests.RequestException:
        return None


def start_web(pods):
    """migrate, then web; returns web once its startup and readiness probes pass."""
    migrate = pods.start("migrate")
    assert migrate.wait() == 0, migrate.logs()
    web = pods.start("web")
    startup = web.pod.containers[0].probes["startupProbe"]
    budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
    wait_until(
        f"{pods.overlay} web's startup probe",
        lambda: status(probe_url(web, "startupProbe")) == 200 or not web.running(),
        budget,
    )
    assert web.running(), web.logs()
    return web


def api(pods, path: str) -> tuple[str, dict]:
    """Base URL and headers a client behind the Ingress would send (Host, X-Forwarded-Proto)."""
    host = pods.config("ALLOWED_HOSTS").split(",")[0]
    headers = {"X-Forwarded-Proto": "https"} | ({"Host": host} if host != "*" else {})
    return f"{ports.WEB_URL}{path}", headers


def test_web_passes_its_own_startup_and_readiness_probes(pods):
    web = start_web(pods)
    ready = requests.get(probe_url(web, "readinessProbe"), timeout=5)
    assert ready.status_code == 200, web.logs()
    assert ready.json() == {"status": "ok"}
    assert status(probe_url(web, "livenessProbe")) == 200


def test_a_job_submitted_through_web_is_done_by_the_worker_container(pods):
    start_web(pods)
    worker = pods.start("worker")
    url, headers = api(pods, "/api/jobs")
    response = requests.post(url, json={"text": "containers all the way down"}, headers=headers, timeout=10)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    wait_until("the worker container to finish the job", lambda: pods.rows() == [(job_id, "done", 1)], 60)
    assert worker.running()
    probe = worker.pod.containers[0].probes["livenessProbe"]["exec"]["command"]
    assert worker.exec(*probe).returncode == 0, worker.logs()


def test_each_process_runs_as_the_manifests_uid_not_root(pods):
    web = start_web(pods)
    worker = pods.start("worker")
    beat = pods.start("beat")
    for running in (web, worker, beat):
        container = running.pod.containers[0]
        assert container.user is not None and container.user >= 10000
        status_file = running.exec("cat", "/proc/1/status").stdout.decode()
        uids = next(line for line in status_file.splitlines() if line.startswith("Uid:")).split()[1:]
        assert set(uids) == {str(container.user)}, f"{container.name}: {uids}"
        assert running.exec("sh", "-c", "touch /should-fail").returncode != 0  # read-only root


def test_sigterm_ends_web_within_the_grace_period(pods):
    ends_within_its_grace_period(start_web(pods))
