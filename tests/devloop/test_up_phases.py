"""The phases of `./bin/up`: timed from bin/up's start, printed in one line that the tests and bench read back."""

from tasks.devloop.phases import ORDER, Phases, parse


def test_the_served_line_reads_back_as_it_was_printed():
    phases = Phases({"SHIPYARD_UP_STARTED_NS": str(1_000 * 10**9), "SHIPYARD_UP_PACKAGES_NS": str(12 * 10**9)})
    phases._mark = 1_012.0  # bin/up handed over 12 s after it started
    phases.done("engine", at=1_015.5)
    phases.done("cluster", at=1_040.0)
    phases.done("served", at=1_071.25)
    line = f"up: served http://127.0.0.1:8000/ {phases.total():.1f}s after the command: {phases.line()}"
    assert line.endswith("packages 12.0s, engine 3.5s, base -, cluster 24.5s, build -, deploy -, served 31.2s")
    url, total, read = parse(f"noise\n{line}\nmore noise")
    assert (url, total) == ("http://127.0.0.1:8000/", 71.2)
    assert list(read) == list(ORDER)
    assert read["base"] is None and read["served"] == 31.2


def test_without_bin_up_the_clock_starts_with_invoke_and_packages_is_unknown():
    phases = Phases({})
    assert phases.seconds["packages"] is None
    assert 0 <= phases.total() < 5


def test_an_unknown_phase_is_refused():
    try:
        Phases({}).done("lunch")
    except ValueError as error:
        assert "unknown phase 'lunch'" in str(error)
    else:
        raise AssertionError("an unknown phase was accepted")
