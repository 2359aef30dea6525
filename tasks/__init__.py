"""invoke tasks: one subpackage per concern, mirroring tests/. `invoke --list` shows them all.

Each subpackage's __init__ holds only its @task functions; every other module is a library
that tests and benchmarks import directly.
"""

from invoke import Collection

from tasks import bench, checks, cluster, db, deps, devloop, image, k8s, promotion, services

ns = Collection(
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
