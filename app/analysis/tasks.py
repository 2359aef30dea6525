"""Celery tasks. Delivery is at-least-once, so each task is idempotent by job id."""

import logging
import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from prometheus_client import Counter

from analysis.models import Job
from analysis.text import analyse
from ops import request_id

log = logging.getLogger(__name__)
JOBS = Counter(
    "shipyard_jobs",
    "Analysis jobs the worker handled, by outcome: done, failed (gave up), missing, "
    "already-done or already-failed (a redelivery).",
    ["outcome"],
)

# A job that keeps killing its worker (or timing out) is given up on, not retried forever.
MAX_ATTEMPTS = 5


@shared_task(name="analysis.analyse_text")
def analyse_text(job_id: str) -> str:
    """Analyse one job's text and record the result once, however often it is delivered."""
    outcome = _analyse(job_id)
    JOBS.labels(outcome).inc()
    return outcome


def _analyse(job_id: str) -> str:
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            log.warning("job %s does not exist; dropping the message", job_id)
            return "missing"
        if job.status in (Job.Status.DONE, Job.Status.FAILED):
            return "already-" + job.status
        if job.attempts >= MAX_ATTEMPTS:
            job.status = Job.Status.FAILED
            job.error = f"gave up after {job.attempts} attempts"
            job.save(update_fields=["status", "error", "updated_at"])
            return "failed"
        job.attempts += 1
        job.status = Job.Status.RUNNING
        job.save(update_fields=["attempts", "status", "updated_at"])
        text = job.text

    if settings.ANALYSIS_DELAY_SECONDS:
        time.sleep(settings.ANALYSIS_DELAY_SECONDS)
    result = analyse(text)

    # Record under the row lock: of two concurrent deliveries, only the first one writes.
    with transaction.atomic():
        job = Job.objects.select_for_update().get(pk=job_id)
        if job.status == Job.Status.DONE:
            return "already-done"
        job.result = result
        job.status = Job.Status.DONE
        job.finished_at = timezone.now()
        job.save(update_fields=["result", "status", "finished_at", "updated_at"])
    log.info("job %s done", job_id, extra={"job_id": job_id})
    return "done"


@shared_task(name="analysis.requeue_stale_jobs")
def requeue_stale_jobs() -> int:
    """Re-enqueue jobs stuck unfinished (a lost message, a broker outage at submit time)."""
    cutoff = timezone.now() - timedelta(seconds=settings.ANALYSIS_STALE_AFTER_SECONDS)
    stale = list(
        Job.objects.filter(status__in=[Job.Status.PENDING, Job.Status.RUNNING], updated_at__lt=cutoff).values_list(
            "id", flat=True
        )[:500]
    )
    for job_id in stale:
        analyse_text.delay(str(job_id))
    # Sent again now: not again at every sweep while no worker consumes (the queue would only grow).
    Job.objects.filter(pk__in=stale).update(updated_at=timezone.now())
    log.info("requeue_stale_jobs: %d job(s) re-enqueued", len(stale))
    return len(stale)


def enqueue(job: Job) -> None:
    """Enqueue after the job's row is committed, so the worker can always read it.

    If the broker is unreachable, the job stays pending and beat's sweep re-enqueues it.
    """

    def send() -> None:
        try:
            analyse_text.delay(str(job.id))
        except Exception:
            log.exception("could not enqueue job %s; the stale-job sweep will retry it", job.id)

    # The id of the request that made the job goes into the task's headers (ops/request_id.py).
    transaction.on_commit(request_id.carried(send))
