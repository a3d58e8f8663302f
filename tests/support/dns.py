"""A resolver that answers from a table: DNS is outside the test machine."""

from __future__ import annotations

import asyncio
import socket

from aiohttp.abc import AbstractResolver, ResolveResult


class StaticResolver(AbstractResolver):
    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        if host not in self.table:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return [
            ResolveResult(
                hostname=host,
                host=address,
                port=port,
                family=socket.AF_INET6 if ":" in address else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in self.table[host]
        ]

    async def close(self) -> None:
        pass


class GatedResolver:
    """A resolver for target checks (core.targets.Resolver) that answers from a table
    once the test opens it: a slow DNS server whose slowness the test controls."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.opened = asyncio.Event()
        self.waiting = 0  # lookups held at the gate now

    async def __call__(self, host: str, port: int) -> list[str]:
        self.waiting += 1
        try:
            await self.opened.wait()
        finally:
            self.waiting -= 1
        if host not in self.table:
            raise OSError(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]
