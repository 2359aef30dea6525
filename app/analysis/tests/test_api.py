import json

import pytest
from django.conf import settings

from analysis.models import Job
from analysis.tests.conftest import queued_job_ids

pytestmark = [pytest.mark.django_db, pytest.mark.postgres, pytest.mark.redis]


def post_json(client, body, content_type="application/json"):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/jobs", data=data, content_type=content_type)


def test_submit_stores_a_pending_job_and_enqueues_it_after_commit(client, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(client, {"text": "hello world"})
    assert response.status_code == 202
    body = response.json()
    job = Job.objects.get(pk=body["id"])
    assert (job.text, job.status, body["status"]) == ("hello world", "pending", "pending")
    assert response["Location"] == f"/api/jobs/{job.id}"
    assert queued_job_ids(broker) == [str(job.id)]


def test_nothing_is_enqueued_before_the_job_row_commits(client, broker, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post_json(client, {"text": "hello"})
    assert len(callbacks) == 1
    assert queued_job_ids(broker) == []


def test_read_a_job_and_list_jobs(client):
    job = Job.objects.create(text="some text", status=Job.Status.DONE, result={"words": 2})
    detail = client.get(f"/api/jobs/{job.id}")
    assert detail.status_code == 200
    assert detail.json()["result"] == {"words": 2}
    listing = client.get("/api/jobs").json()["jobs"]
    assert [item["id"] for item in listing] == [str(job.id)]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        ("{not json", "application/json", 400, "malformed JSON"),
        (b"\xff\xfe", "application/json", 400, "malformed JSON"),
        ('["text"]', "application/json", 400, "JSON object"),
        ('{"text": 42}', "application/json", 400, "must be a string"),
        ('{"text": null}', "application/json", 400, "must be a string"),
        ('{"other": "x"}', "application/json", 400, "is required"),
        ('{"text": "   "}', "application/json", 400, "must not be empty"),
        ("text=hello", "application/x-www-form-urlencoded", 415, "application/json"),
        # Found by fuzzing: each was a 500 (PostgreSQL's text holds no NUL; UTF-8 has no lone surrogate;
        # json's decoder recurses once per level).
        ('{"text": "a\\u0000b"}', "application/json", 400, "must not contain NUL"),
        ('{"text": "\\ud800 alone"}', "application/json", 400, "unpaired surrogate"),
        ("[" * 100_000 + "]" * 100_000, "application/json", 400, "nested too deeply"),
    ],
)
def test_bad_submissions_get_a_json_4xx_and_store_nothing(client, broker, body, content_type, status, message):
    response = post_json(client, body, content_type)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert Job.objects.count() == 0
    assert queued_job_ids(broker) == []


def test_text_over_the_limit_is_413(client):
    response = post_json(client, {"text": "a" * (settings.ANALYSIS_MAX_TEXT_CHARS + 1)})
    assert response.status_code == 413
    assert "too long" in response.json()["error"]
    assert Job.objects.count() == 0


def test_body_over_the_upload_limit_is_413(client):
    response = post_json(client, {"text": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)})
    assert response.status_code == 413
    assert "body too large" in response.json()["error"]
    assert Job.objects.count() == 0


@pytest.mark.parametrize("job_id", ["0b5a3c1e-2f4d-4e8a-9c6b-7d1e2f3a4b5c", "not-a-uuid", "1"])
def test_unknown_or_malformed_job_id_is_a_json_404(client, job_id):
    response = client.get(f"/api/jobs/{job_id}")
    assert response.status_code == 404
    assert job_id in response.json()["error"]


def test_wrong_method_is_a_json_405(client):
    response = client.delete("/api/jobs")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert "not allowed" in response.json()["error"]
