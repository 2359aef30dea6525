"""The task bodies, called directly against PostgreSQL (the real worker runs in tests/e2e)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from analysis.models import Job
from analysis.tasks import MAX_ATTEMPTS, analyse_text, requeue_stale_jobs
from analysis.tests.conftest import queued_job_ids

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
    assert fresh.status == "pending"
