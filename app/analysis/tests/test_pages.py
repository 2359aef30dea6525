import pytest
from django.test.html import Element, parse_html

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


def admin_rows(html: str) -> dict[str, dict[str, str]]:
    """The admin change list's rows: each object's id to its cells' text, by the cell's field-* class."""

    def text(node: Element | str) -> str:
        return node if isinstance(node, str) else "".join(text(child) for child in node.children)

    def elements(node: Element | str, name: str) -> list[Element]:
        if isinstance(node, str):
            return []
        return ([node] if node.name == name else []) + [e for child in node.children for e in elements(child, name)]

    rows = {}
    for row in elements(parse_html(html), "tr"):
        cells = {
            dict(cell.attributes).get("class"): text(cell).strip() for cell in row.children if isinstance(cell, Element)
        }
        if "field-id" in cells:
            rows[cells["field-id"]] = cells
    return rows


def test_the_admin_job_list_shows_each_job_in_its_own_row_with_its_status(admin_client):
    pending = Job.objects.create(text="visible in admin")
    done = Job.objects.create(text="done", status=Job.Status.DONE)
    response = admin_client.get("/admin/analysis/job/")
    assert response.status_code == 200
    # The status filter links name every status whatever the rows say, so read each job's own row.
    rows = admin_rows(response.content.decode())
    assert rows.keys() == {str(pending.id), str(done.id)}
    assert rows[str(pending.id)]["field-status"] == "Pending"
    assert rows[str(done.id)]["field-status"] == "Done"
