"""`invoke bench`: the dev loop's speed beside the naive loop, in one run (tasks/bench/suite.py)."""

from __future__ import annotations

from invoke import Context, Exit, task

from tasks import services
from tasks.services.daemons import start_docker


@task(
    help={
        "quick": "fewer iterations (CI keeps the benchmark running; about two minutes on 2 cores)",
        "out": "results folder, relative to the repository root: writes <out>/<timestamp>/, links <out>/latest",
        "suite": "instead, time `invoke test --unit` three times, then run the whole test suite and write where its "
        "time goes, per part, fixture, lane, worker and file, and where the CPU went "
        "(<out>/suite-<timestamp>/timings.md; as long as ./bin/test)",
        "footprint": "instead, measure only what one developer's stack costs under skaffold dev on the test cluster: "
        "memory and CPU at rest and during edits, developers per node (<out>/footprint-<timestamp>/; 2-3 minutes)",
    }
)
def bench(
    c: Context, quick: bool = False, out: str = "bench/results", suite: bool = False, footprint: bool = False
) -> None:
    """Measure the dev loop (synced vs naive), prod rebuild and size, cold start, throughput, a developer's cost."""
    # Imported here: the bench's HTTP and Redis clients are most of what `import tasks` cost, and every invoke
    # command and every test run paid it.
    from tasks.bench import suite as loop_bench
    from tasks.bench import suite_timings

    target = loop_bench.out_dir(out)  # a bad --out fails before anything starts
    if footprint:
        start_docker()  # skaffold builds the dev image
        loop_bench.run_footprint(quick, target)
        return
    if suite:
        services.start(c)
        code, written = suite_timings.run(target)
        print(f"bench --suite: {written / 'timings.md'}")
        if code:
            raise Exit(f"bench --suite: pytest exited {code}; the timings in {written} include the failures", code)
        return
    print(f"bench ({'quick' if quick else 'full'}): starting PostgreSQL, Redis and dockerd if needed", flush=True)
    services.start(c)
    loop_bench.run(quick, target)
