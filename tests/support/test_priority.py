"""priority.py: a worker lowers its CPU priority once, before its first test off the machine lane."""

from __future__ import annotations

import pytest

from tests.support import priority

QUICK_START = "tests/quickstart/test_first_run.py::test_up"
CLUSTER_LANE = "tests/cluster/faults/test_web_faults.py::test_scale"
NO_LANE = "tests/app/test_settings.py::test_x"


@pytest.fixture
def not_lowered(monkeypatch):
    monkeypatch.setattr(priority, "_lowered", [False])


def test_a_worker_lowers_itself_for_any_test_off_the_machine_lane(not_lowered):
    assert priority.lower_for(CLUSTER_LANE, "gw1")
    assert priority.lower_for(NO_LANE, "gw2")


def test_the_machine_lane_keeps_its_priority(not_lowered):
    assert not priority.lower_for(QUICK_START, "gw0")


def test_one_process_runs_keep_theirs(not_lowered):
    assert not priority.lower_for(NO_LANE, None)


def test_a_worker_lowers_itself_only_once(monkeypatch):
    monkeypatch.setattr(priority, "_lowered", [True])
    assert not priority.lower_for(NO_LANE, "gw1")
