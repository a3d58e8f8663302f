"""The latency histogram's quantiles against an exact nearest-rank computation on the
raw values: equal to the value of the exact quantile's bucket, small samples and large."""

from __future__ import annotations

import random

import pytest

from core import histogram
from core.aggregates import Aggregate
from tests.support.exact import nearest_rank

QUANTILES = ("0", "0.01", "0.07", "0.5", "0.9", "0.95", "0.99", "1")


def counts_of(values: list[int]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        histogram.add(counts, value)
    return counts


@pytest.mark.parametrize(
    ("values", "q", "exact"),
    [
        ([95, 1508], "0.95", 1508),
        ([95, 1508], "0.5", 95),
        ([100, 120, 900], "0.95", 900),  # a 15-minute bin of a 5-minute monitor
        ([100, 120, 900], "0.5", 120),
        ([100, 120, 900], "0", 100),
        (list(range(1, 21)), "0.95", 19),  # ceil(19.0) = 19: no rounding up past it
        (list(range(1, 22)), "0.95", 20),  # ceil(19.95) = 20
        (list(range(1, 101)), "0.07", 7),  # 0.07 * 100 is 7.000000000000001 in floats
        (list(range(1, 101)), "0.99", 99),
        ([42], "0.95", 42),
    ],
)
def test_the_exact_nearest_rank_table(values: list[int], q: str, exact: int) -> None:
    assert nearest_rank(values, q) == exact
    counts = counts_of(values)
    got = histogram.quantile(counts, float(q), min(values), max(values))
    assert got == histogram.bucket_value(histogram.bucket_of(exact), min(values), max(values))


def test_the_p95_of_two_and_of_three_checks_is_the_largest() -> None:
    """The review's cases: rank q*(n-1) rounded down made both the smaller value."""
    assert histogram.quantile(counts_of([95, 1508]), 0.95, 95, 1508) == 1508
    three = Aggregate()
    for latency in (100, 120, 900):
        three.add_check(True, latency, False)
    assert three.latency_quantile(0.95) == histogram.bucket_value(
        histogram.bucket_of(900), 100, 900
    )
    assert three.latency_quantile(0.95) > 800  # 879: 900's bucket, not the median's


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 10, 19, 20, 21, 39, 40, 41, 100, 1001, 20_000])
def test_quantiles_match_the_exact_nearest_rank_on_random_samples(size: int) -> None:
    rng = random.Random(size)
    values = [max(0, int(rng.lognormvariate(5, 1.2))) for _ in range(size)]
    counts, low, high = counts_of(values), min(values), max(values)
    for q in QUANTILES:
        exact = nearest_rank(values, q)
        got = histogram.quantile(counts, float(q), low, high)
        # The bucket of the exact value, so within half a bucket (about 7%) of it.
        assert got == histogram.bucket_value(histogram.bucket_of(exact), low, high), (q, exact)
        assert abs(got - exact) <= exact * (histogram.FACTOR**0.5 - 1) + 1, (q, exact)


def test_merged_histograms_give_the_quantile_of_all_the_values() -> None:
    rng = random.Random(3)
    hours = [[int(rng.lognormvariate(4, 0.8)) for _ in range(rng.randint(0, 12))]
             for _ in range(48)]  # fmt: skip
    merged: dict[str, int] = {}
    for hour in hours:
        histogram.merge(merged, counts_of(hour))
    values = [v for hour in hours for v in hour]
    exact = nearest_rank(values, "0.95")
    got = histogram.quantile(merged, 0.95, min(values), max(values))
    assert got == histogram.bucket_value(histogram.bucket_of(exact), min(values), max(values))
