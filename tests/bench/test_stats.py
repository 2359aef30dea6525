"""tasks/bench/stats.py's summaries against values worked out by hand.

The rule (tasks/bench/loadgen.percentile) is nearest rank, not interpolation: sort the samples and
take the one at index round(q * (n - 1)), counting from 0. Python's round() sends a half to the even
integer, so the p50 of an even number of samples is the lower middle one when n / 2 is odd
(n = 2: index round(0.5) = 0) and the upper one when n / 2 is even (n = 4: index round(1.5) = 2).
"""

from __future__ import annotations

import pytest

from tasks.bench.stats import distribution, median_of


def test_one_to_a_hundred_has_p50_51_and_p95_95():
    samples = [float(i) for i in range(1, 101)]
    # p50: index round(0.5 * 99) = round(49.5) = 50 -> 51; p95: index round(0.95 * 99) = round(94.05) = 94 -> 95.
    assert distribution(samples) == {
        "n": 100,
        "p50": 51.0,
        "p95": 95.0,
        "max": 100.0,
        "min": 1.0,
        "mean": 50.5,
        "samples": samples,
    }


def test_a_single_sample_is_every_statistic():
    assert distribution([0.3]) == {
        "n": 1,
        "p50": 0.3,
        "p95": 0.3,
        "max": 0.3,
        "min": 0.3,
        "mean": 0.3,
        "samples": [0.3],
    }


def test_two_samples_have_the_lower_as_p50_and_the_higher_as_p95():
    # p50: index round(0.5) = 0 (a half goes to even); p95: index round(0.95) = 1.
    summary = distribution([2.0, 1.0])
    assert (summary["p50"], summary["p95"], summary["mean"]) == (1.0, 2.0, 1.5)


def test_four_samples_have_the_upper_middle_one_as_p50():
    # Index round(1.5) = 2: the half goes to even, here upward (two samples above went downward).
    assert distribution([4.0, 1.0, 3.0, 2.0])["p50"] == 3.0


def test_unsorted_samples_are_ranked_in_order_but_kept_as_given():
    # Sorted: 1 2 3 4 5. p50: index round(2.0) = 2 -> 3; p95: index round(3.8) = 4 -> 5.
    summary = distribution([5.0, 1.0, 4.0, 2.0, 3.0])
    assert (summary["p50"], summary["p95"], summary["min"], summary["max"]) == (3.0, 5.0, 1.0, 5.0)
    assert summary["samples"] == [5.0, 1.0, 4.0, 2.0, 3.0]


def test_p95_of_twelve_samples_is_the_second_largest():
    # Index round(0.95 * 11) = round(10.45) = 10: the 11th of 12, not the maximum.
    summary = distribution([float(i) for i in range(1, 13)])
    assert (summary["p95"], summary["max"]) == (11.0, 12.0)


def test_every_statistic_and_sample_is_rounded_to_four_decimals():
    summary = distribution([0.123456, 0.98765])
    # Mean: 1.111106 / 2 = 0.555553 -> 0.5556.
    assert summary == {
        "n": 2,
        "p50": 0.1235,
        "p95": 0.9877,
        "max": 0.9877,
        "min": 0.1235,
        "mean": 0.5556,
        "samples": [0.1235, 0.9877],
    }


def test_no_samples_is_an_error_not_a_summary_of_zeros():
    with pytest.raises(ValueError, match="no samples"):
        distribution([])


def test_the_median_of_a_phase_ignores_iterations_where_it_was_not_seen():
    rows = [{"sync": 3.0}, {"sync": None}, {"sync": 1.0}, {"build": 9.0}, {"sync": 2.0}]
    # Seen: 3 1 2 -> sorted 1 2 3, index round(0.5 * 2) = 1 -> 2.
    assert median_of(rows, "sync") == 2.0


def test_the_median_of_a_phase_never_seen_is_none():
    assert median_of([{"sync": None}, {"build": 1.0}], "sync") is None
    assert median_of([], "sync") is None


def test_the_median_follows_the_same_rule_as_p50_and_rounds_to_four_decimals():
    # Two values: index round(0.5) = 0, the lower one; four: index round(1.5) = 2, the upper middle one.
    assert median_of([{"t": 0.22222}, {"t": 0.11111}], "t") == 0.1111
    assert median_of([{"t": t} for t in (4.0, 1.0, 3.0, 2.0)], "t") == 3.0
