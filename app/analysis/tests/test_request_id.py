"""The request id: accepted or made, returned, logged with the request, and put in the task's headers."""

import json
import logging
import logging.config

import pytest

from ops.logs import logging_config
from ops.request_id import HEADER, RequestIdFilter, current

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def test_a_well_formed_incoming_id_is_returned_and_logged(client, caplog):
    with caplog.at_level(logging.INFO, logger="shipyard.request"):
        response = client.get("/?page=1", headers={HEADER: "edge-4f2a.9"})
    assert response[HEADER] == "edge-4f2a.9"
    (line,) = [r for r in caplog.records if r.name == "shipyard.request"]
    assert (line.method, line.path, line.query, line.status) == ("GET", "/", "page=1", 200)
    assert line.duration_ms >= 0


@pytest.mark.parametrize("given", [None, "", "has space", "-leading-dash", "x" * 129, 'quote"d', "new\nline"])
def test_a_missing_or_malformed_id_is_replaced_by_a_new_one(client, given):
    headers = {HEADER: given} if given is not None else {}
    first, second = client.get("/", headers=headers)[HEADER], client.get("/", headers=headers)[HEADER]
    assert len(first) == 32 and int(first, 16) >= 0 and first != second


def test_probes_are_not_logged_as_requests(client, caplog):
    with caplog.at_level(logging.INFO, logger="shipyard.request"):
        client.get("/healthz")
    assert not [r for r in caplog.records if r.name == "shipyard.request"]


def test_a_job_submitted_in_a_request_carries_its_id(client, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/jobs", {"text": "follow me"}, content_type="application/json", headers={HEADER: "follow-me-1"}
        )
    assert response.status_code == 202
    (raw,) = broker.lrange("celery", 0, -1)
    assert json.loads(raw)["headers"]["request_id"] == "follow-me-1"
    assert current.get() is None  # nothing leaks out of the request


def test_json_lines_carry_the_fields_a_pipeline_expects():
    config = logging_config("json", "INFO")
    formatter = logging.config.DictConfigurator(config).configure_formatter(config["formatters"]["json"])
    record = logging.LogRecord("shipyard.request", logging.INFO, __file__, 1, "GET %s", ("/",), None)
    record.status = 200
    token = current.set("abc123")
    try:
        RequestIdFilter().filter(record)
    finally:
        current.reset(token)
    line = json.loads(formatter.format(record))
    assert line["level"] == "INFO" and line["logger"] == "shipyard.request" and line["message"] == "GET /"
    assert line["request_id"] == "abc123" and line["status"] == 200
    assert line["time"].startswith("20") and "T" in line["time"]
