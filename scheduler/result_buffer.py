"""Thinning the engine's result buffer when the database stays away too long.

While the database is away the engine keeps checking and buffers the results (see
scheduler/engine.py). The buffer is bounded; when it overflows, the oldest results
that change nothing go first: within a run of equal outcomes (ok, ok, ok, ...) of one
monitor, the results after the first MAX_THRESHOLD (enough for any failure or success
threshold to be crossed on the kept ones) and before the run's last. So every state
change, incident and alert the state machine would decide is still decided when the
buffer is written, at the same moment; only the uneventful middle of long runs goes,
and its size is reported. If the buffer is still too full (a great many monitors),
the oldest results go regardless.
"""

from __future__ import annotations

from core.monitor_rules import MAX_THRESHOLD
from core.probe import ProbeResult

Buffered = tuple[int, ProbeResult]


def thin(buffer: list[Buffered], target: int, keep_run: int = MAX_THRESHOLD) -> list[Buffered]:
    """`buffer` (in completion order) cut to at most `target` results, the oldest
    uneventful ones first (module doc)."""
    excess = len(buffer) - target
    if excess <= 0:
        return buffer
    droppable = _uneventful(buffer, keep_run)
    dropped: set[int] = set()
    for index in sorted(droppable, key=lambda i: buffer[i][1].checked_at):
        if len(dropped) >= excess:
            break
        dropped.add(index)
    kept = [item for i, item in enumerate(buffer) if i not in dropped]
    return kept[len(kept) - target :] if len(kept) > target else kept


def _uneventful(buffer: list[Buffered], keep_run: int) -> list[int]:
    """Indexes of results inside a run of equal outcomes of their monitor, past the
    run's first `keep_run` and before its last."""
    by_monitor: dict[int, list[int]] = {}
    for index, (monitor_id, _) in enumerate(buffer):
        by_monitor.setdefault(monitor_id, []).append(index)
    droppable = []
    for indexes in by_monitor.values():
        indexes.sort(key=lambda i: buffer[i][1].checked_at)
        run: list[int] = []
        for index in [*indexes, -1]:
            if run and (index < 0 or buffer[index][1].ok != buffer[run[0]][1].ok):
                droppable.extend(run[keep_run:-1])
                run = []
            if index >= 0:
                run.append(index)
    return droppable
