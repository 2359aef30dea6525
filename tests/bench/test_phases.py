"""How the bench reads a reload's phases from container logs, and judges targets: no containers needed."""

from tasks.bench.reload import WEB_MARKS, WORKER_MARKS, phases
from tasks.bench.report import Target

RELOAD = [
    (99.0, "/app/analysis/api.py changed, reloading."),  # the previous edit's reload: before this sync
    (100.0, '"GET /api/jobs HTTP/1.1" 200 32'),
    (100.2, "/app/analysis/api.py changed, reloading."),
    (101.0, "Watching for file changes with WatchfilesReloader"),
    (101.5, "Starting development server at http://0.0.0.0:8000/"),
]


def test_phases_are_the_gaps_between_consecutive_marks_after_the_sync():
    assert phases(RELOAD, WEB_MARKS, synced=100.1, served=101.6) == {
        "to_detected": 0.1,
        "to_setup": 0.8,
        "to_ready": 0.5,
        "to_served": 0.1,
    }


def test_a_mark_never_logged_leaves_its_phase_and_the_next_one_unknown():
    # No "Connected to" line.
    lines = [(10.1, "devworker: /app/analysis/text.py changed, restarting"), (12.0, "celery@vm ready.")]
    assert phases(lines, WORKER_MARKS, synced=10.0, served=12.1) == {
        "to_detected": 0.1,
        "to_connected": None,
        "to_ready": None,
        "to_served": 0.1,
    }


def test_targets_hold_a_value_under_a_limit_or_at_least_a_ratio():
    metrics = {"loop": {"p50": 0.4}, "ratio": 9.5}
    assert Target("fast", "loop.p50", 0.5, "s").check(metrics)["met"] is True
    assert Target("slow", "loop.p50", 0.3, "s").check(metrics) == {
        "name": "slow",
        "value": 0.4,
        "target": "<= 0.3 s",
        "met": False,
    }
    assert Target("ratio", "ratio", 10, "x", at_least=True).check(metrics)["met"] is False
