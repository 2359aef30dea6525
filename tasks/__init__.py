"""invoke tasks: one subpackage per concern, mirroring tests/. `invoke --list` shows them all.

Each subpackage's __init__ holds only its @task functions; every other module is a library
that tests and benchmarks import directly.
"""

from __future__ import annotations

from invoke import Collection


def __getattr__(name: str) -> Collection:
    """`ns`, built when invoke asks for it (PEP 562): a test importing one library module of tasks imports that
    module's package alone, not every task of every package (0.2 s in each pytest process)."""
    if name != "ns":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    global ns
    ns = namespace()
    return ns


def namespace() -> Collection:
    from tasks import bench, checks, cluster, db, deps, devloop, image, k8s, promotion, services

    return Collection(
        checks.test,
        checks.lint,
        checks.audit,
        devloop.up,
        devloop.down,
        devloop.doctor,
        devloop.metrics,
        devloop.manage,
        devloop.makemigrations,
        deps.lock,
        promotion.promote,
        bench.bench,
        Collection("services", services.start),
        Collection("cluster", cluster.up, cluster.down, cluster.status),
        Collection("db", db.reset, db.seed, db.snapshot, db.restore, db.snapshots),
        Collection("image", image.base, image.build, image.lint, image.measure),
        Collection("k8s", k8s.render, k8s.validate, k8s.parity),
    )
