"""wait_until's pacing: a cheap condition is asked every `interval`, a costly one at most a third of the time."""

from __future__ import annotations

import pytest

from tests.support import processes


class Clock:
    """time.monotonic and time.sleep on a clock that moves only when told: sleeps are recorded, not slept."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(processes, "time", fake)
    return fake


def condition_taking(clock: Clock, seconds: float, true_on: int):
    calls = []

    def condition() -> bool:
        calls.append(clock.now)
        clock.now += seconds
        return len(calls) >= true_on

    return condition


def test_a_cheap_condition_is_asked_every_interval(clock):
    assert processes.wait_until("it", condition_taking(clock, 0.001, 4), 10, interval=0.1)
    assert clock.sleeps == [0.1, 0.1, 0.1]


def test_a_costly_condition_sleeps_twice_what_it_took(clock):
    assert processes.wait_until("it", condition_taking(clock, 0.3, 3), 10, interval=0.1)
    assert clock.sleeps == [0.6, 0.6]


def test_the_timeout_names_what_and_the_last_value(clock):
    with pytest.raises(AssertionError, match=r"timed out after 2s waiting for the thing \(last: False\)"):
        processes.wait_until("the thing", condition_taking(clock, 0.5, 99), 2)
    assert clock.sleeps == [1.0, 1.0]  # asked at 0, 1.5 and 3.0 s: after the deadline, no more sleeping
