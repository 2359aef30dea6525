"""The workloads that serve no port (migrate, the worker, beat), started in Docker the way their manifests say.

Parametrised over the dev and prod overlays. They take no fixed port on the host (metrics go to a free one,
tasks/containers/podrun.py), so they run in the engine lane, beside the cluster tests.
"""

import pytest

from tests.containers.grace import ends_within_its_grace_period
from tests.support.processes import wait_until

pytestmark = [pytest.mark.docker, pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_migrate_exits_zero_and_again_on_a_second_run(pods):
    first = pods.start("migrate")
    assert first.wait() == 0, first.logs()
    assert "Applying analysis.0001_initial... OK" in first.logs()
    second = pods.start("migrate")
    assert second.wait() == 0, second.logs()
    assert "No migrations to apply." in second.logs()


def test_beat_enqueues_its_periodic_task_and_passes_its_liveness_probe(pods):
    migrate = pods.start("migrate")
    assert migrate.wait() == 0
    beat = pods.start("beat", STALE_JOB_SWEEP_SECONDS="1")
    wait_until("beat to send requeue-stale-jobs", lambda: "Sending due task requeue-stale-jobs" in beat.logs(), 60)
    probe = beat.pod.containers[0].probes["livenessProbe"]["exec"]["command"]
    assert beat.exec(*probe).returncode == 0, beat.logs()


def test_sigterm_ends_the_worker_within_the_grace_period(pods):
    assert pods.start("migrate").wait() == 0
    running = pods.start("worker")
    wait_until("the worker to be ready", lambda: "ready." in running.logs(), 60)
    ends_within_its_grace_period(running)
