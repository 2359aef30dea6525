import pytest

from analysis.models import Job

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_index_lists_jobs_with_their_status(client):
    Job.objects.create(text="x", status=Job.Status.DONE, result={"words": 7, "top_words": [["seven", 7]]})
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "seven (7)" in html
    assert 'class="done"' in html


def test_form_submission_creates_a_job_and_redirects(client):
    response = client.post("/", {"text": "from the form"})
    assert response.status_code == 302
    assert Job.objects.get().text == "from the form"


def test_empty_form_is_rejected_and_stores_nothing(client):
    response = client.post("/", {"text": ""})
    assert response.status_code == 400
    assert Job.objects.count() == 0


def test_admin_is_enabled(admin_client):
    Job.objects.create(text="visible in admin")
    response = admin_client.get("/admin/analysis/job/")
    assert response.status_code == 200
    assert "pending" in response.content.decode()
