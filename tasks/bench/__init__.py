"""`invoke bench`: the dev loop's speed beside the naive loop, in one run (tasks/bench/suite.py)."""

from __future__ import annotations

from invoke import Context, task

from tasks import services
from tasks.bench import suite


@task(
    help={
        "quick": "fewer iterations (CI keeps the benchmark running; about two minutes on 2 cores)",
        "out": "results folder, relative to the repository root: writes <out>/<timestamp>/, links <out>/latest",
    }
)
def bench(c: Context, quick: bool = False, out: str = "bench/results") -> None:
    """Measure the dev loop (synced vs naive), prod rebuild and size, cold start and throughput."""
    target = suite.out_dir(out)  # a bad --out fails before anything starts
    print(f"bench ({'quick' if quick else 'full'}): starting PostgreSQL, Redis and dockerd if needed", flush=True)
    services.start(c)
    suite.run(quick, target)
