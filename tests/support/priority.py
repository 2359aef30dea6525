"""Off the run's longest chain, a lower CPU priority.

The machine lane (tests/support/lanes.py) is one worker's tests one at a time, and the run ends when it
does: in `invoke bench --suite` at ebc4e0b it ran 1057 s while the other two workers ended at 748 and 884 s,
and on two cores they took the CPU its quick start's builds and deploys were waiting for. So a worker lowers
its own priority (os.nice: any user may lower theirs, only root may raise it again) before the first test it
runs outside the machine lane: its tests then take what CPU the machine lane leaves. The daemons the machine
lane works through (dockerd, the cluster, its pods) are not a worker's children and keep their priority.
The scheduler hands the machine lane out first (it sorts first), and gives its worker nothing more while more
than two of its tests are left, so that worker keeps its priority until the lane's last tests.
"""

from __future__ import annotations

import os

from tests.support.lanes import lane_of

NICENESS = 10  # the usual for background work: under contention it gets about a tenth of a core's share
_lowered: list[bool] = [False]


def lower_for(nodeid: str, worker: str | None) -> bool:
    """Whether the worker running NODEID should lower its priority now: once, and only off the machine lane."""
    return worker is not None and not _lowered[0] and lane_of(nodeid) != "machine lane"


def pytest_runtest_setup(item) -> None:
    if lower_for(item.nodeid, os.environ.get("PYTEST_XDIST_WORKER")):
        os.nice(NICENESS)
        _lowered[0] = True
