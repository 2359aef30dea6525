"""Logs as a pipeline reads them: every line of gunicorn's and the worker's output is one JSON object, and
one request id follows a job from the web's request line to the worker's line for that job."""

import json
import uuid

import pytest
import requests

from tests.support.processes import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def json_lines(text: str) -> list[dict]:
    """Every non-empty line parsed; a line that is not one JSON object fails the test, naming it."""
    lines = []
    for line in filter(None, text.splitlines()):
        try:
            lines.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
    return lines


def test_one_request_id_follows_a_job_from_the_web_log_to_the_worker_log(stack):
    web, url = stack.start_web()
    # Celery warns on stderr, before any logging is set up, when it runs as root, as the tests here may;
    # the pods never do (runAsNonRoot).
    worker = stack.start_worker(PYTHONWARNINGS="ignore:You're running the worker with superuser")
    given = "follow-" + uuid.uuid4().hex[:12]
    response = requests.post(
        f"{url}/api/jobs", json={"text": "follow the id"}, headers={"X-Request-ID": given}, timeout=5
    )
    assert response.status_code == 202 and response.headers["X-Request-ID"] == given
    job_id = response.json()["id"]
    wait_until("the job to be done", lambda: stack.job_rows() == [(job_id, "done", 1)], 30)

    def worker_line() -> dict | None:
        return next((x for x in json_lines(worker.log()) if x["message"] == f"job {job_id} done"), None)

    done = wait_until("the worker's line for the job", worker_line, 10)
    assert done["request_id"] == given and done["logger"] == "analysis.tasks" and done["level"] == "INFO"

    (request,) = [x for x in json_lines(web.log()) if x.get("request_id") == given]
    assert {k: request[k] for k in ("logger", "level", "method", "path", "status")} == {
        "logger": "shipyard.request",
        "level": "INFO",
        "method": "POST",
        "path": "/api/jobs",
        "status": 202,
    }
    assert request["duration_ms"] > 0 and request["time"] < done["time"]
    # gunicorn's own lines are JSON too, with no request id; the request is logged once, not again by its access log.
    assert any(x["logger"] == "gunicorn.error" and x["request_id"] is None for x in json_lines(web.log()))
    assert [x["message"] for x in json_lines(web.log()) if "/api/jobs" in x["message"]] == ["POST /api/jobs 202"]


def test_a_malformed_request_id_is_replaced_and_the_new_one_logged(stack):
    web, url = stack.start_web()
    response = requests.get(f"{url}/", headers={"X-Request-ID": "not ok!"}, timeout=5)
    made = response.headers["X-Request-ID"]
    assert made != "not ok!" and len(made) == 32
    assert [x["path"] for x in json_lines(web.log()) if x.get("request_id") == made] == ["/"]
