"""Which tests pytest-xdist may run side by side (tests/support/lane_scheduling.py hands them out).

Most tests are a scope of their own, for whichever worker is free. Those that cannot run beside another of
their kind form a lane: one scope, so one worker runs the lane's tests one at a time, in order.

- The machine lane: the quick start (it stops the engine and takes the cluster down, as a fresh machine
  has them), the dev loops on the test cluster and the dev overlay's fixed host ports (web 8000, debugpy
  5678) that they forward and web's container tests publish, the bench's runs of both, the team registry
  (one port), and last the teardown that takes the cluster down.
- The cluster lane: the fault and monitoring stacks, on the same cluster in namespaces of their own. They
  run beside the machine lane once the quick start is over, which leaves the cluster running. The teardown
  waits for them (tests/support/cluster_session.py: each worker holds the cluster in use while its tests
  need it), and they and the team's two loops take turns, since any two would not fit the node's CPU
  (HEAVY_STACK there).
- The cluster files: the other tests that deploy into namespaces of their own and forward no fixed port
  (`skaffold run`, `tilt up` with web on a free port, the cluster's add-ons and policies). Like the cluster
  lane they wait for the quick start, but each file is a scope of its own (SPREAD): they fit on the node
  beside each other, so any free worker runs them.
- The engine lane: what needs the Docker engine and the services but no cluster and no fixed port (the
  image builds and their checks, the workloads that serve no port, bin/setup --services). It runs beside the
  machine lane, in another worker, but only once the quick start is over: until then the engine is the
  quick start's to stop.
"""

from __future__ import annotations

# The quick start goes first in the machine lane (tests/conftest.py orders it), and the engine lane waits for it.
FIRST_PATHS = ("tests/quickstart/",)
LANES = {
    "machine lane": (
        "tests/quickstart/",
        "tests/bench/test_bench.py",
        "tests/bench/test_footprint.py",
        "tests/cluster/",  # what the cluster lane does not hold
        "tests/containers/test_reload.py",
        "tests/containers/test_workloads.py",
        "tests/devloop/test_doctor.py",
        "testcluster/tests/",
    ),
    "cluster lane": (
        "tests/cluster/faults/",
        "tests/cluster/monitoring/",
    ),
    "cluster files": (
        "tests/cluster/test_addons.py",
        "tests/cluster/test_datastores.py",
        "tests/cluster/test_dev_namespace_rbac.py",
        "tests/cluster/test_overlays_accepted.py",
        "tests/cluster/test_policies.py",
        "tests/cluster/test_skaffold_run.py",
        "tests/cluster/test_storage.py",
        "tests/cluster/test_tilt.py",  # web on a free port (the Tiltfile's web-port), Tilt's own on another
    ),
    "engine lane": (
        "tests/containers/test_background_workloads.py",
        "tests/image/",
        "tests/services/",
        "tests/checks/test_args.py",
    ),
}
AFTER_FIRST = {"cluster lane", "cluster files", "engine lane"}
SPREAD = {"cluster files"}  # a scope per file, not one for the lane
# The lanes a test with one of these markers may be in: the fixed ports are the machine lane's.
CLUSTER_LANES = {"machine lane", "cluster lane", "cluster files"}
MARKER_LANES = {"cluster": CLUSTER_LANES, "host_ports": {"machine lane"}, "docker": set(LANES)}
# Within the run's order (tests/conftest.py): the team's loops first in the machine lane, so the cluster lane's
# stacks, which pytest-xdist hands out soon after the gate opens (the larger scopes first), wait for them in a
# worker that has time to spare, not the machine lane for theirs; the teardown last of all.
EARLY_PATHS = ("tests/cluster/test_shared_cluster.py",)
LAST_PATHS = ("tests/cluster/test_teardown.py",)


def lane_of(nodeid: str) -> str | None:
    """The lane whose path is the longest prefix of NODEID (tests/cluster/faults/ is not the machine lane's)."""
    matches = [(len(path), lane) for lane, paths in LANES.items() for path in paths if nodeid.startswith(path)]
    return max(matches)[1] if matches else None


def scope_of(nodeid: str) -> str:
    """pytest-xdist's scope of NODEID: its lane's (its file's, in a SPREAD lane), else its own."""
    lane = lane_of(nodeid)
    if lane in SPREAD:
        return f"{lane}: {nodeid.split('::', 1)[0]}"
    return lane or nodeid


def run_order(nodeid: str) -> int:
    """Where NODEID goes in the run: the quick start first, the teardown last, else as collected (a stable sort)."""
    ranks = {FIRST_PATHS: 0, EARLY_PATHS: 1, LAST_PATHS: 4}
    return next((rank for paths, rank in ranks.items() if nodeid.startswith(paths)), 2)


def misplaced(nodeid: str, markers: set[str]) -> str | None:
    """Why a test's markers do not fit the lane its path puts it in; None if they do."""
    lane = lane_of(nodeid)
    for marker in sorted(markers & MARKER_LANES.keys()):
        if lane not in MARKER_LANES[marker]:
            where = " or ".join(f"{name} ({', '.join(LANES[name])})" for name in sorted(MARKER_LANES[marker]))
            return f"{nodeid}: marked {marker}, so it belongs in the {where}"
    return None
