"""Which tests pytest-xdist may run side by side (tests/support/lane_scheduling.py hands them out).

Most tests are a scope of their own, for whichever worker is free. Those that cannot run beside another of
their kind form a lane: one scope, so one worker runs the lane's tests one at a time, in order.

- The machine lane: the quick start (it stops the engine and takes the cluster down, as a fresh machine
  has them), the one test cluster, the dev overlay's fixed host ports (web 8000, debugpy 5678) that the
  loop forwards and web's container tests publish, and the bench's runs of both.
- The engine lane: what needs the Docker engine and the services but no cluster and no fixed port (the
  image builds and their checks, the workloads that serve no port, bin/setup --services). It runs beside the
  machine lane, in the other worker, but only once the quick start is over: until then the engine is the
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
        "tests/cluster/",
        "tests/containers/test_reload.py",
        "tests/containers/test_workloads.py",
        "tests/devloop/test_doctor.py",
        "testcluster/tests/",
    ),
    "engine lane": (
        "tests/containers/test_background_workloads.py",
        "tests/image/",
        "tests/services/",
        "tests/checks/test_args.py",
    ),
}
AFTER_FIRST = {"engine lane"}
# The lanes a test with one of these markers may be in: the cluster and the fixed ports are the machine lane's.
MARKER_LANES = {"cluster": {"machine lane"}, "host_ports": {"machine lane"}, "docker": set(LANES)}


def lane_of(nodeid: str) -> str | None:
    return next((lane for lane, paths in LANES.items() if nodeid.startswith(paths)), None)


def misplaced(nodeid: str, markers: set[str]) -> str | None:
    """Why a test's markers do not fit the lane its path puts it in; None if they do."""
    lane = lane_of(nodeid)
    for marker in sorted(markers & MARKER_LANES.keys()):
        if lane not in MARKER_LANES[marker]:
            where = " or ".join(f"{name} ({', '.join(LANES[name])})" for name in sorted(MARKER_LANES[marker]))
            return f"{nodeid}: marked {marker}, so it belongs in the {where}"
    return None
