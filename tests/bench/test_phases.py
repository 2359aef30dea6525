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


def test_the_first_run_table_shows_each_phase_and_judges_only_the_warm_runs():
    from tasks.bench.report import first_run_markdown, targets

    run = {"packages": 19.0, "engine": 0.6, "base": 75.7, "cluster": 67.4, "build": 37.9, "deploy": 30.1, "served": 6.1}
    warm = {**dict.fromkeys(run, 0.1), "deploy": None, "served": 70.0}
    metrics = {
        "first_run": {
            "skaffold": {"cold": {"seconds": 236.8, "phases": run}, "warm": {"seconds": 25.7, "phases": run}},
            "tilt": {"cold": {"seconds": 240.0, "phases": run}, "warm": {"seconds": 70.6, "phases": warm}},
        }
    }
    judged = {t["name"]: t for t in targets(metrics)}
    assert judged["second ./bin/up, skaffold: served"]["met"] is True
    assert judged["second ./bin/up, tilt: served"]["met"] is False
    table = first_run_markdown(metrics, judged)
    assert "| skaffold, cold | 19.0 | 0.6 | 75.7 | 67.4 | 37.9 | 30.1 | 6.1 | 236.8 | - | - |" in table
    assert "| tilt, warm | 0.1 | 0.1 | 0.1 | 0.1 | 0.1 | - | 70.0 | 70.6 | <= 60 s | **no** |" in table


def test_a_quick_run_without_first_runs_is_judged_on_what_it_measured():
    from tasks.bench.report import TARGETS

    measured = {t.metric.split(".")[0] for t in TARGETS} - {"first_run"}
    assert not any(t.measured({key: {} for key in measured}) for t in TARGETS if t.metric.startswith("first_run"))


def test_the_chart_draws_the_limits_the_targets_table_judges():
    from tasks.bench.report import TARGETS, _chart_targets

    by_label = {label: limit for limit, label in _chart_targets()}
    assert by_label == {
        "web p50 target, in the pod": 0.5,
        "web p50 target, through the tools": 1.0,
        "worker target": 1.5,
    }
    assert set(by_label.values()) <= {t.limit for t in TARGETS}
