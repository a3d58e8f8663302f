"""One log line when the database goes away and one when it is back, per component.

Every component that talks to the database on a schedule (the engine, the outbox's
leadership check, the rollups) fails again at each of its runs while the database is
away: logging each failure writes a line a second that grows with the outage and hides
what matters. An `OutageLog` per component logs the first failure (WARNING) and the
recovery (INFO, with how long the database was away and the component's summary of
what it caught up on); the failures in between are DEBUG.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

log = logging.getLogger("outage")


class OutageLog:
    def __init__(self, component: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.component = component
        self._monotonic = monotonic
        self._since: float | None = None

    @property
    def failing(self) -> bool:
        return self._since is not None

    def failed(self, doing: str, exc: BaseException) -> None:
        """A database operation failed: one WARNING for the first failure of an outage."""
        if self._since is None:
            self._since = self._monotonic()
            log.warning(
                "%s: database unavailable while %s: %s: %s",
                self.component,
                doing,
                type(exc).__name__,
                exc,
            )
        else:
            log.debug("%s: database still unavailable (%s): %s", self.component, doing, exc)

    def recovered(self, summary: str = "") -> None:
        """A database operation succeeded: one INFO line if it ends an outage."""
        if self._since is None:
            return
        seconds = self._monotonic() - self._since
        self._since = None
        log.info(
            "%s: database back after %.0f s%s",
            self.component,
            seconds,
            f"; {summary}" if summary else "",
        )
