"""A fixed, mergeable latency histogram: the same buckets in every rollup row, so any
number of hours and days add up by adding counts, and percentiles come from the sum.

Bucket i holds latencies in [FACTOR^i, FACTOR^(i+1)) milliseconds (bucket 0 also
everything below 1 ms, the last one everything above). A percentile is reported as
the geometric middle of the bucket it falls in, clamped to the observed minimum and
maximum: within FACTOR^0.5 - 1, about 7%, of the true value. Rows store only the
buckets in use, as {"index": count}, which is a handful per monitor and hour.

Quantiles follow the nearest-rank definition: the q-quantile of n values is the
ceil(q*n)-th smallest, a value that was observed. The rank q*(n-1) rounded down
drifts towards the median on small samples (the "p95" of three checks was their
middle one); the nearest rank of 0.95 among three is the largest, as it should be.
On the histogram the same rank picks the bucket, so the answer is the bucket of the
exact nearest-rank value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

FACTOR = 1.15
TOP = 60_000  # ms: the longest timeout
BUCKETS = math.ceil(math.log(TOP) / math.log(FACTOR)) + 1
_LOG = math.log(FACTOR)


def bucket_of(ms: float) -> int:
    if ms < 1:
        return 0
    return min(BUCKETS - 1, int(math.log(ms) / _LOG))


def add(counts: dict[str, int], value: float) -> dict[str, int]:
    """`counts` with `value` added (in place, returned for convenience)."""
    key = str(bucket_of(value))
    counts[key] = counts.get(key, 0) + 1
    return counts


def merge(into: dict[str, int], other: Mapping[str, int]) -> dict[str, int]:
    for key, count in other.items():
        into[key] = into.get(key, 0) + int(count)
    return into


def nearest_rank(q: float, n: int) -> int:
    """The 1-based rank of the q-quantile (0..1) among n values: ceil(q*n), at least 1.
    The product is rounded to 9 places first, so that 0.07 * 100 = 7.000000000000001
    (binary floating point) is rank 7, not 8."""
    return min(n, max(1, math.ceil(round(q * n, 9))))


def quantile(
    counts: Mapping[str, int], q: float, low: float | None = None, high: float | None = None
) -> int | None:
    """The nearest-rank q-quantile (0..1) of the histogram, or None when it is empty:
    the value of the bucket holding the ceil(q*n)-th smallest latency."""
    total = sum(counts.values())
    if not total:
        return None
    rank = nearest_rank(q, total)
    seen = 0
    for index in sorted(int(k) for k in counts):  # rank <= total: the loop always breaks
        seen += counts[str(index)]
        if seen >= rank:
            break
    return bucket_value(index, low, high)


def bucket_value(index: int, low: float | None = None, high: float | None = None) -> int:
    """What bucket `index` reports: its geometric middle, clamped to the observed
    minimum `low` and maximum `high`."""
    value = FACTOR ** (index + 0.5)
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return round(value)
