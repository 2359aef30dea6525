"""pytest-xdist's scheduler for this suite: the lanes of tests/support/lanes.py, and the engine lane's gate.

Its own module: xdist's schedulers are imported only by the process that schedules, not by every run.
"""

from __future__ import annotations

from functools import cached_property

from xdist.scheduler import LoadScopeScheduling

from tests.support.lanes import AFTER_FIRST, FIRST_PATHS, lane_of, scope_of


class LaneScheduling(LoadScopeScheduling):
    """pytest-xdist's scope scheduling with a lane per scope, and a gate: a lane of AFTER_FIRST is handed out
    only once every test of FIRST_PATHS in this run has finished. A worker that finds nothing but gated lanes
    waits for the gate, and is given work when it opens."""

    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        self.first_done: set[str] = set()

    @cached_property
    def first(self) -> set[str]:
        """This run's tests of FIRST_PATHS: asked for only once schedule() has the collection."""
        return {nodeid for nodeid in self.collection or () if nodeid.startswith(FIRST_PATHS)}

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)

    def gated(self, scope: str) -> bool:
        """Whether SCOPE's tests wait for the gate: their lane (every test of a scope has the same) says."""
        return lane_of(next(iter(self.workqueue[scope]))) in AFTER_FIRST

    def gate_open(self) -> bool:
        return self.first <= self.first_done

    def _assign_work_unit(self, node) -> None:
        open_now = self.gate_open()
        ready = next((scope for scope in self.workqueue if open_now or not self.gated(scope)), None)
        if ready is None:
            return  # only gated lanes are left: mark_test_complete hands them out when the gate opens
        self.workqueue.move_to_end(ready, last=False)  # the base class takes the first unit of work
        super()._assign_work_unit(node)

    def mark_test_complete(self, node, item_index: int, duration: float = 0) -> None:
        nodeid = self.registered_collections[node][item_index]
        if nodeid in self.first and not self.gate_open():
            self.first_done.add(nodeid)
            if self.gate_open():  # a worker idling on the gate reports nothing that would reschedule it: first
                for other in self.nodes:
                    if other is not node:
                        self._reschedule(other)
        super().mark_test_complete(node, item_index, duration)
