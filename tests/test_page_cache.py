"""core.page_cache on a manual clock: a value is built once per ttl, expires on the
clock, one build serves everyone waiting, the copy before is served while it is rebuilt
or when rebuilding fails, misses are not kept, and the cache stays within its size."""

from __future__ import annotations

import asyncio

import pytest

from core.clock import ManualClock
from core.page_cache import PageCache


class Source:
    """What the cache reads: counts its builds; a build can be held open or fail."""

    def __init__(self) -> None:
        self.version = 1
        self.builds = 0
        self.gate: asyncio.Event | None = None
        self.failing = False

    async def build(self) -> str:
        self.builds += 1
        if self.gate is not None:
            await self.gate.wait()
        if self.failing:
            raise ConnectionError("database away")
        return f"v{self.version}"


async def test_a_value_is_built_once_per_ttl_and_expires_on_the_clock() -> None:
    clock = ManualClock()
    cache: PageCache[str] = PageCache(5, clock)
    source = Source()
    assert await cache.get("a", source.build) == "v1"
    source.version = 2
    await clock.advance(4.9)
    assert await cache.get("a", source.build) == "v1"
    assert source.builds == 1
    await clock.advance(0.1)
    assert await cache.get("a", source.build) == "v2"  # the request that finds it expired
    assert source.builds == 2
    assert await cache.get("b", source.build) == "v2"  # keys apart
    assert source.builds == 3


async def test_requests_meanwhile_share_one_build() -> None:
    cache: PageCache[str] = PageCache(5, ManualClock())
    source = Source()
    source.gate = asyncio.Event()
    waiting = [asyncio.create_task(cache.get("a", source.build)) for _ in range(10)]
    await asyncio.sleep(0)
    source.gate.set()
    assert await asyncio.gather(*waiting) == ["v1"] * 10
    assert source.builds == 1


async def test_the_copy_before_is_served_while_one_request_rebuilds() -> None:
    clock = ManualClock()
    cache: PageCache[str] = PageCache(5, clock, stale_for=60)
    source = Source()
    await cache.get("a", source.build)
    await clock.advance(5)
    source.version, source.gate = 2, asyncio.Event()
    rebuilding = asyncio.create_task(cache.get("a", source.build))
    await asyncio.sleep(0)
    assert [await cache.get("a", source.build) for _ in range(3)] == ["v1"] * 3  # no wait
    source.gate.set()
    assert await rebuilding == "v2"
    assert await cache.get("a", source.build) == "v2"
    assert source.builds == 2


async def test_a_copy_too_old_is_not_served_while_rebuilding() -> None:
    clock = ManualClock()
    cache: PageCache[str] = PageCache(5, clock, stale_for=60)
    source = Source()
    await cache.get("a", source.build)
    await clock.advance(5 + 60)
    source.version, source.gate = 2, asyncio.Event()
    first = asyncio.create_task(cache.get("a", source.build))
    await asyncio.sleep(0)
    second = asyncio.create_task(cache.get("a", source.build))
    await asyncio.sleep(0)
    assert not second.done()  # waits for the build rather than take an old copy
    source.gate.set()
    assert (await first, await second) == ("v2", "v2")
    assert source.builds == 2


async def test_a_failed_rebuild_serves_the_copy_before_and_is_tried_again() -> None:
    clock = ManualClock()
    cache: PageCache[str] = PageCache(5, clock, stale_for=60)
    source = Source()
    await cache.get("a", source.build)
    await clock.advance(6)
    source.failing = True
    assert await cache.get("a", source.build) == "v1"
    assert await cache.get("a", source.build) == "v1"
    assert source.builds == 3  # each request after the failure tries again
    source.failing, source.version = False, 2
    assert await cache.get("a", source.build) == "v2"
    # Without a copy, or past stale_for, the error is the caller's.
    source.failing = True
    with pytest.raises(ConnectionError):
        await cache.get("b", source.build)
    await clock.advance(5 + 60)
    with pytest.raises(ConnectionError):
        await cache.get("a", source.build)


async def test_waiters_of_a_failed_build_get_its_error() -> None:
    cache: PageCache[str] = PageCache(5, ManualClock())
    source = Source()
    source.failing, source.gate = True, asyncio.Event()
    waiting = [asyncio.create_task(cache.get("a", source.build)) for _ in range(3)]
    await asyncio.sleep(0)
    source.gate.set()
    results = await asyncio.gather(*waiting, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert source.builds == 1


async def test_a_miss_is_not_kept() -> None:
    cache: PageCache[str] = PageCache(5, ManualClock())
    builds = 0

    async def nothing() -> None:
        nonlocal builds
        builds += 1

    assert await cache.get("a", nothing) is None
    assert await cache.get("a", nothing) is None
    assert builds == 2 and len(cache) == 0


async def test_the_cache_keeps_at_most_max_entries_newest_first() -> None:
    clock = ManualClock()
    cache: PageCache[str] = PageCache(5, clock, max_entries=3)
    source = Source()
    for key in "abcd":
        await cache.get(key, source.build)
    assert len(cache) == 3
    builds = source.builds
    for key in "bcd":
        await cache.get(key, source.build)
    assert source.builds == builds  # kept
    await cache.get("a", source.build)
    assert source.builds == builds + 1  # the oldest went
