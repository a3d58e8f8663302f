"""The process-wide pieces that core functions share: settings and the one probe.

run.py installs them at start-up (and tests do, per test); `check_now`, monitor
creation and the engine read them from here instead of building their own.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.probe import Probe
from core.settings import Settings
from core.targets import private_targets_allowed


@dataclass
class Runtime:
    settings: Settings
    probe: Probe

    def allow_private(self, owner_telegram_id: int) -> bool:
        return private_targets_allowed(
            self.settings.allow_private_targets, self.settings.admin_ids, owner_telegram_id
        )


_current: Runtime | None = None


def install(runtime: Runtime) -> None:
    global _current
    _current = runtime


def uninstall() -> None:
    global _current
    _current = None


def current() -> Runtime:
    if _current is None:
        raise RuntimeError("core.runtime.install() was not called")
    return _current
