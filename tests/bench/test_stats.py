"""tasks/bench/stats.py's summaries against values worked out by hand.

The rule (tasks/bench/loadgen.percentile) is the nearest rank, never interpolated: sort the samples and
take the ceil(q * n)-th, the smallest with at least q of the samples at or below it. So the p50 of an
even number of samples is always the lower middle one, and the p95 of fewer than 20 is the maximum.
"""

from __future__ import annotations

import pytest

from tasks.bench.stats import distribution, median_of


def test_one_to_a_hundred_has_p50_50_and_p95_95():
    samples = [float(i) for i in range(1, 101)]
    # p50: the ceil(50)-th = 50; p95: the ceil(95)-th = 95.
    assert distribution(samples) == {
        "n": 100,
        "p50": 50.0,
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
    # p50: the ceil(1)-th = the 1st; p95: the ceil(1.9)-th = the 2nd.
    summary = distribution([2.0, 1.0])
    assert (summary["p50"], summary["p95"], summary["mean"]) == (1.0, 2.0, 1.5)


def test_four_samples_have_the_lower_middle_one_as_p50_as_two_do():
    # The ceil(2)-th of 1 2 3 4: the lower middle, as for two samples above (one rule for every n).
    assert distribution([4.0, 1.0, 3.0, 2.0])["p50"] == 2.0


def test_unsorted_samples_are_ranked_in_order_but_kept_as_given():
    # Sorted: 1 2 3 4 5. p50: the ceil(2.5)-th = 3; p95: the ceil(4.75)-th = 5.
    summary = distribution([5.0, 1.0, 4.0, 2.0, 3.0])
    assert (summary["p50"], summary["p95"], summary["min"], summary["max"]) == (3.0, 5.0, 1.0, 5.0)
    assert summary["samples"] == [5.0, 1.0, 4.0, 2.0, 3.0]


def test_p95_of_twelve_samples_is_the_largest_and_of_twenty_the_nineteenth():
    # The ceil(11.4)-th of 12 is the 12th; the ceil(19.0)-th of 20 is the 19th (0.95 * 20 is not 19.000...01).
    assert distribution([float(i) for i in range(1, 13)])["p95"] == 12.0
    assert distribution([float(i) for i in range(1, 21)])["p95"] == 19.0


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
    # Seen: 3 1 2 -> sorted 1 2 3, the ceil(1.5)-th = 2.
    assert median_of(rows, "sync") == 2.0


def test_the_median_of_a_phase_never_seen_is_none():
    assert median_of([{"sync": None}, {"build": 1.0}], "sync") is None
    assert median_of([], "sync") is None


def test_the_median_follows_the_same_rule_as_p50_and_rounds_to_four_decimals():
    # Two values: the ceil(1)-th, the lower one; four: the ceil(2)-th, the lower middle one.
    assert median_of([{"t": 0.22222}, {"t": 0.11111}], "t") == 0.1111
    assert median_of([{"t": t} for t in (4.0, 1.0, 3.0, 2.0)], "t") == 2.0
