"""The figures of a set of checks that add up: one rollup row, or a window's sum.

The rollup job builds them from raw checks, statistics add rollup rows and raw rows
into one, so a window's uptime and latency come from the same arithmetic whatever
mix of sources it is made of.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core import histogram


@dataclass
class Aggregate:
    checks: int = 0
    failures: int = 0  # failed checks outside maintenance
    maintenance: int = 0  # checks during a maintenance window
    latency_count: int = 0  # successful checks outside maintenance with a latency
    latency_sum: int = 0
    latency_min: int | None = None
    latency_max: int | None = None
    buckets: dict[str, int] = field(default_factory=dict)

    def add_check(self, ok: bool, latency_ms: int | None, in_maintenance: bool) -> None:
        self.checks += 1
        if in_maintenance:
            self.maintenance += 1
            return
        if not ok:
            self.failures += 1
            return
        if latency_ms is not None:
            self.latency_count += 1
            self.latency_sum += latency_ms
            self.latency_min = (
                latency_ms if self.latency_min is None else min(self.latency_min, latency_ms)
            )
            self.latency_max = (
                latency_ms if self.latency_max is None else max(self.latency_max, latency_ms)
            )
            histogram.add(self.buckets, latency_ms)

    def merge(self, other: Aggregate) -> Aggregate:
        self.checks += other.checks
        self.failures += other.failures
        self.maintenance += other.maintenance
        self.latency_count += other.latency_count
        self.latency_sum += other.latency_sum
        for name, pick in (("latency_min", min), ("latency_max", max)):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(
                self,
                name,
                theirs if mine is None else mine if theirs is None else pick(mine, theirs),
            )
        histogram.merge(self.buckets, other.buckets)
        return self

    @classmethod
    def of_row(cls, row) -> Aggregate:
        """From a rollup row (db.models.Rollup) or a dict with the same keys."""
        get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
        return cls(
            checks=get("checks"),
            failures=get("failures"),
            maintenance=get("maintenance"),
            latency_count=get("latency_count"),
            latency_sum=int(get("latency_sum")),
            latency_min=get("latency_min"),
            latency_max=get("latency_max"),
            buckets=dict(get("buckets") or {}),
        )

    @property
    def counted(self) -> int:
        """Checks that count for uptime: those outside maintenance."""
        return self.checks - self.maintenance

    @property
    def uptime(self) -> float | None:
        return (self.counted - self.failures) / self.counted if self.counted else None

    @property
    def avg_latency_ms(self) -> float | None:
        return self.latency_sum / self.latency_count if self.latency_count else None

    def latency_quantile(self, q: float) -> int | None:
        return histogram.quantile(self.buckets, q, self.latency_min, self.latency_max)
