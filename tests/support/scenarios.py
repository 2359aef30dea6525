"""The reliability table: each fault scenario (tests/reliability on loopback, tests/cluster/faults on the
cluster) records what it did, what it checked and its counts; the run ends by printing them and writing
`.state/reliability.json`, from which docs/reliability.md is kept."""

from __future__ import annotations

import json

import pytest

from tasks.paths import ROOT

RESULTS: list[dict] = []


@pytest.fixture
def record(request):
    """record(action, checks, **numbers): one row of the reliability table."""

    def add(action: str, checks: str, **numbers: int | float) -> None:
        # On the test's report: from a pytest-xdist worker, that is how a row reaches the summary.
        row = {"scenario": request.node.name, "done": action, "checked": checks, "numbers": numbers}
        request.node.user_properties.append(("reliability", row))

    return add


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":  # the last report of a test carries every row it recorded
        RESULTS.extend(row for name, row in report.user_properties if name == "reliability")


def pytest_terminal_summary(terminalreporter) -> None:
    if not RESULTS:
        return
    terminalreporter.section("reliability scenarios")
    for row in RESULTS:
        numbers = ", ".join(f"{k}={v}" for k, v in row["numbers"].items())
        terminalreporter.write_line(f"{row['scenario']}: {row['done']} | {row['checked']} | {numbers}")
    out = ROOT / ".state" / "reliability.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(RESULTS, indent=2))


def tally(rows: list[tuple[str, str, int]], accepted: list[str]) -> dict[str, int]:
    """Count, from the job rows in PostgreSQL, what happened to the accepted jobs."""
    by_id = {str(job_id): (status, attempts) for job_id, status, attempts in rows}
    done = [job_id for job_id in accepted if by_id.get(job_id, ("", 0))[0] == "done"]
    return {
        "accepted": len(accepted),
        "rows": len(rows),
        "done": len(done),
        "redelivered": sum(1 for _, attempts in by_id.values() if attempts > 1),
        "lost": len(accepted) - len(done),
    }
