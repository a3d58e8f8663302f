"""Status pages for tests: a page's rows as its owner would arrange them, and rollup
rows written with the rollup job's own statement (db/rollups.upsert)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from tortoise.transactions import in_transaction

from core.aggregates import Aggregate
from db import rollups
from db.connection import current_connection
from db.models import (
    Monitor,
    StatusPage,
    StatusPageGroup,
    StatusPageMonitor,
    User,
)

# (group name, [(monitor, show_url), ...]) in the page's order
Layout = Sequence[tuple[str, Sequence[tuple[Monitor, bool]]]]


async def make_page(owner: User, slug: str, layout: Layout, **fields) -> StatusPage:
    """A page of `owner` with its groups and monitors in the order of `layout` (the
    positions are given in reverse of the ids, so the order cannot come from ids)."""
    page = await StatusPage.create(owner=owner, slug=slug, title=fields.pop("title", slug),
                                   **fields)  # fmt: skip
    for group_index, (name, monitors) in enumerate(reversed(layout)):
        group = await StatusPageGroup.create(
            page=page, name=name, position=len(layout) - 1 - group_index
        )
        for index, (monitor, show_url) in enumerate(reversed(monitors)):
            await StatusPageMonitor.create(
                page=page, group=group, monitor=monitor, position=len(monitors) - 1 - index,
                show_url=show_url,
            )  # fmt: skip
    return page


async def make_monitor(owner: User, name: str, **fields) -> Monitor:
    fields.setdefault("url", f"https://{name.lower().replace(' ', '-')}.example.com/")
    return await Monitor.create(owner=owner, name=name, **fields)


async def write_rollups(table: str, rows: dict[tuple[Monitor, datetime], Aggregate]) -> None:
    """Rollup rows of `table` (rollups_daily or rollups_hourly), as the job writes them."""
    async with in_transaction(current_connection().connection_name) as conn:
        await rollups.upsert(
            conn,
            table,
            {(monitor.id, start): figures for (monitor, start), figures in rows.items()},
        )


def figures(
    checks: int, failures: int = 0, maintenance: int = 0, latency_ms: int = 100
) -> Aggregate:
    """A period's figures: every counted success took `latency_ms`."""
    ok = checks - failures - maintenance
    return Aggregate(
        checks=checks, failures=failures, maintenance=maintenance, latency_count=ok,
        latency_sum=ok * latency_ms, latency_min=latency_ms if ok else None,
        latency_max=latency_ms if ok else None,
    )  # fmt: skip
