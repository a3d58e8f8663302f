"""Exact reference computations to check the approximate ones against."""

from __future__ import annotations

import math
from collections.abc import Iterable
from fractions import Fraction


def nearest_rank(values: Iterable[float], q: float | str) -> float | None:
    """The nearest-rank q-quantile of `values`: the ceil(q*n)-th smallest (at least the
    first), in exact rational arithmetic (`q` as a string such as "0.95" is exact)."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(Fraction(q) * len(ordered)))
    return ordered[rank - 1]
