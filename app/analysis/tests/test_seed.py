"""The seed data `invoke db.seed` loads (analysis/fixtures/seed.json): valid, and what the code computes."""

import pytest
from django.core.management import call_command

from analysis.models import Job
from analysis.text import analyse

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_the_seed_loads_and_each_done_job_holds_what_analyse_computes_now():
    call_command("loaddata", "seed", verbosity=0)
    jobs = list(Job.objects.order_by("created_at"))
    assert [job.status for job in jobs] == ["done", "done", "failed"]
    for job in jobs:
        assert job.result == (analyse(job.text) if job.status == "done" else None), job.text


def test_seeding_twice_leaves_the_same_three_jobs():
    call_command("loaddata", "seed", verbosity=0)
    call_command("loaddata", "seed", verbosity=0)
    assert Job.objects.count() == 3
