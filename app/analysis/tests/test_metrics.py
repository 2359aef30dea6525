"""What the metrics count, in one process (the multiprocess sums and a real Prometheus: tests/e2e)."""

import pytest
from prometheus_client import REGISTRY

from analysis.models import Job
from analysis.tasks import analyse_text
from ops import task_metrics

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def requests_counted(view: str, method: str, status: int) -> float:
    return counted("shipyard_http_requests_total", view=view, method=method, status=str(status))


def test_a_request_is_counted_and_timed_by_view_method_and_status(client):
    timed = {"view": "api-jobs", "method": "POST", "status": "202"}
    before = (
        requests_counted("api-jobs", "POST", 202),
        requests_counted("api-job", "GET", 404),
        counted("shipyard_http_request_duration_seconds_count", **timed),
    )
    assert client.post("/api/jobs", {"text": "x"}, content_type="application/json").status_code == 202
    assert client.get("/api/jobs/not-a-job").status_code == 404
    after = (
        requests_counted("api-jobs", "POST", 202),
        requests_counted("api-job", "GET", 404),
        counted("shipyard_http_request_duration_seconds_count", **timed),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1]


def test_probes_are_not_counted_and_odd_requests_keep_labels_bounded(client):
    before = sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "shipyard_http_requests"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code in (200, 503)
    unmatched, other = requests_counted("unmatched", "GET", 404), requests_counted("api-jobs", "other", 405)
    assert client.get("/no/such/page/123").status_code == 404
    assert client.generic("BREW", "/api/jobs").status_code == 405
    assert requests_counted("unmatched", "GET", 404) == unmatched + 1  # one series, whatever the path
    assert requests_counted("api-jobs", "other", 405) == other + 1  # any word is a method to HTTP
    after = sum(
        sample.value
        for metric in REGISTRY.collect()
        if metric.name == "shipyard_http_requests"
        for sample in metric.samples
        if sample.name.endswith("_total")
    )
    assert after - before == 2  # the probes were not counted


def test_a_job_is_counted_by_its_outcome():
    job = Job.objects.create(text="one two")
    done, again = counted("shipyard_jobs_total", outcome="done"), counted("shipyard_jobs_total", outcome="already-done")
    analyse_text(str(job.id))
    analyse_text(str(job.id))
    assert counted("shipyard_jobs_total", outcome="done") == done + 1
    assert counted("shipyard_jobs_total", outcome="already-done") == again + 1


def test_a_task_run_is_counted_by_outcome_and_timed():
    class Task:
        name = "analysis.example"

    before = counted("shipyard_celery_tasks_total", task="analysis.example", outcome="failure")
    timed = counted("shipyard_celery_task_duration_seconds_count", task="analysis.example")
    task_metrics.task_started(task_id="t-1")
    task_metrics.task_finished(task_id="t-1", task=Task(), state="FAILURE")
    assert counted("shipyard_celery_tasks_total", task="analysis.example", outcome="failure") == before + 1
    assert counted("shipyard_celery_task_duration_seconds_count", task="analysis.example") == timed + 1


@pytest.mark.redis
def test_queue_depth_is_read_from_the_broker(broker):
    from config.celery import app

    assert dict(sample_values(task_metrics.QueueDepth(app))) == {
        ("shipyard_celery_broker_up", ()): 1,
        ("shipyard_celery_queue_length", ("celery",)): 0,
    }
    for _ in range(3):
        app.send_task("analysis.analyse_text", args=["00000000-0000-0000-0000-000000000000"])
    assert dict(sample_values(task_metrics.QueueDepth(app)))[("shipyard_celery_queue_length", ("celery",))] == 3


def test_an_unreachable_broker_gives_broker_up_0_and_no_depth_not_a_failed_scrape():
    from celery import Celery

    unreachable = Celery("probe", broker="redis://127.0.0.1:9/0", set_as_current=False)  # nothing listens on 9
    assert dict(sample_values(task_metrics.QueueDepth(unreachable, timeout=0.5))) == {
        ("shipyard_celery_broker_up", ()): 0
    }


def sample_values(collector) -> list[tuple[tuple[str, tuple[str, ...]], float]]:
    return [((s.name, tuple(s.labels.values())), s.value) for family in collector.collect() for s in family.samples]
