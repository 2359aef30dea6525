"""The task bodies, called directly against PostgreSQL (the real worker runs in tests/e2e)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from analysis import tasks
from analysis.models import Job
from analysis.tasks import MAX_ATTEMPTS, analyse_text, requeue_stale_jobs
from analysis.tests.conftest import queued_job_ids
from analysis.text import analyse

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_analyse_records_the_result():
    job = Job.objects.create(text="one two two")
    assert analyse_text(str(job.id)) == "done"
    job.refresh_from_db()
    assert job.status == "done"
    assert job.result["words"] == 3
    assert job.attempts == 1
    assert job.finished_at is not None


def test_a_redelivered_message_changes_nothing():
    job = Job.objects.create(text="one two")
    analyse_text(str(job.id))
    job.refresh_from_db()
    first = (job.result, job.finished_at, job.attempts)
    assert analyse_text(str(job.id)) == "already-done"
    job.refresh_from_db()
    assert (job.result, job.finished_at, job.attempts) == first


def test_a_message_for_a_deleted_job_is_dropped():
    assert analyse_text("00000000-0000-0000-0000-000000000000") == "missing"


def test_a_job_that_keeps_failing_is_given_up_on():
    job = Job.objects.create(text="x", attempts=MAX_ATTEMPTS, status=Job.Status.RUNNING)
    assert analyse_text(str(job.id)) == "failed"
    job.refresh_from_db()
    assert job.status == "failed"
    assert "gave up" in job.error


@pytest.mark.redis
def test_stale_unfinished_jobs_are_requeued_and_fresh_or_done_ones_are_not(broker, settings):
    settings.ANALYSIS_STALE_AFTER_SECONDS = 60
    old = timezone.now() - timedelta(minutes=5)
    stale = Job.objects.create(text="stale")
    fresh = Job.objects.create(text="fresh")
    done = Job.objects.create(text="done", status=Job.Status.DONE)
    Job.objects.filter(pk__in=[stale.pk, done.pk]).update(updated_at=old)
    assert requeue_stale_jobs() == 1
    assert queued_job_ids(broker) == [str(stale.id)]
    fresh.refresh_from_db()
    assert fresh.status == "pending"


@pytest.mark.redis
def test_stale_running_jobs_are_requeued_and_fresh_running_or_finished_ones_are_not(broker, settings):
    settings.ANALYSIS_STALE_AFTER_SECONDS = 60
    old = timezone.now() - timedelta(minutes=5)
    stale = [Job.objects.create(text=f"stale {i}", status=Job.Status.RUNNING, attempts=1) for i in range(2)]
    Job.objects.create(text="fresh", status=Job.Status.RUNNING, attempts=1)
    done = Job.objects.create(text="done", status=Job.Status.DONE, attempts=1)
    failed = Job.objects.create(text="failed", status=Job.Status.FAILED, attempts=MAX_ATTEMPTS)
    # A queryset update, because save() would stamp updated_at with now (auto_now).
    Job.objects.filter(pk__in=[job.pk for job in [*stale, done, failed]]).update(updated_at=old)
    assert requeue_stale_jobs() == 2
    assert sorted(queued_job_ids(broker)) == sorted(str(job.id) for job in stale)
    # Re-enqueued is recent again: the next sweep, with still no worker, sends nothing more.
    assert requeue_stale_jobs() == 0
    assert len(queued_job_ids(broker)) == 2


def test_a_redelivered_failed_job_is_left_as_it_is():
    job = Job.objects.create(text="x", status=Job.Status.FAILED, attempts=3, error="boom", result={"partial": 1})
    before = Job.objects.filter(pk=job.pk).values().get()
    assert analyse_text(str(job.id)) == "already-failed"
    assert Job.objects.filter(pk=job.pk).values().get() == before


@pytest.mark.django_db(transaction=True)
def test_of_two_overlapping_deliveries_of_one_job_only_one_records_the_result(monkeypatch):
    # Committed rows: each delivery runs in its own thread, on its own connection.
    job = Job.objects.create(text="one two two")
    # Both deliveries must be between the start (first lock) and the write (second lock) at once:
    # each waits in the analysis for the other, so neither can write before both have started.
    both_analysing = threading.Barrier(2, timeout=30)

    def analyse_once_both_started(text: str, *args, **kwargs) -> dict:
        both_analysing.wait()
        return analyse(text, *args, **kwargs)

    monkeypatch.setattr(tasks, "analyse", analyse_once_both_started)

    def deliver() -> str:
        try:
            return analyse_text(str(job.id))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        deliveries = [pool.submit(deliver) for _ in range(2)]
        outcomes = sorted(delivery.result(timeout=60) for delivery in deliveries)
    assert outcomes == ["already-done", "done"]
    job.refresh_from_db()
    assert job.status == "done"
    assert job.result == analyse("one two two")
    assert job.attempts == 2  # both deliveries started it: they really overlapped
