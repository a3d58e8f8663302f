"""The process-wide pieces that core functions share: settings, the one probe, and the
check slots (CHECK_CONCURRENCY) the engine and checks by hand draw from.

run.py builds one Runtime at start-up and hands it on explicitly: the dispatcher
gets it as workflow data (handlers take a `runtime` parameter), the web app under
api.app_keys.RUNTIME_KEY, the engine its slots; `check_now` and monitor creation
take it as an argument. There is no module-level instance: tests build their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.check_slots import CheckSlots
from core.in_flight import InFlightPerOwner
from core.probe import Probe
from core.settings import Settings
from core.targets import CheckedTarget, Resolver, check_target, private_targets_allowed, resolve

# Creations one owner may have under way at once: each resolves a host (up to 5 s),
# so an API client firing many at once is refused beyond this instead of queueing.
MAX_CREATIONS_IN_FLIGHT = 2


@dataclass
class Runtime:
    settings: Settings
    probe: Probe
    # How target checks (creation, a changed URL) resolve a host: DNS, which lies
    # outside the machine, so tests give a table or a deliberately slow one.
    resolve: Resolver = resolve
    # CHECK_CONCURRENCY, shared by the engine and checks by hand.
    slots: CheckSlots = field(init=False)
    # Monitor creations under way per owner (core/monitors.py caps them).
    creations: InFlightPerOwner = field(init=False)

    def __post_init__(self) -> None:
        self.slots = CheckSlots(self.settings.check_concurrency)
        self.creations = InFlightPerOwner(MAX_CREATIONS_IN_FLIGHT)

    def allow_private(self, owner_telegram_id: int) -> bool:
        return private_targets_allowed(
            self.settings.allow_private_targets, self.settings.admin_ids, owner_telegram_id
        )

    async def check_target(self, url: str, owner_telegram_id: int) -> CheckedTarget:
        """core.targets.check_target with this owner's private-address rule."""
        return await check_target(url, self.allow_private(owner_telegram_id), resolver=self.resolve)


def freeze_startup_objects() -> None:
    """Move everything allocated during start-up (modules, ORM and bot state, fonts)
    out of the garbage collector's view. Without it a full collection now and then
    walks all of it, a pause of a few hundred milliseconds that lands on whatever runs
    (bench/stats.py, chart drawing: p95 343 ms without, 118 ms with)."""
    import gc

    gc.collect()
    gc.freeze()
