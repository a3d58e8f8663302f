"""How many operations of one owner are in flight in this process, to cap them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class InFlightPerOwner:
    """Counts operations per owner; `busy` says whether one more would pass `limit`.

    `busy` and `hold` are called with no await between them, so in one event loop the
    check and the count cannot be interleaved by another request."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: dict[int, int] = {}

    def busy(self, owner_id: int) -> bool:
        return self._counts.get(owner_id, 0) >= self.limit

    def count(self, owner_id: int) -> int:
        return self._counts.get(owner_id, 0)

    @contextmanager
    def hold(self, owner_id: int) -> Iterator[None]:
        self._counts[owner_id] = self._counts.get(owner_id, 0) + 1
        try:
            yield
        finally:
            left = self._counts[owner_id] - 1
            if left:
                self._counts[owner_id] = left
            else:
                del self._counts[owner_id]
