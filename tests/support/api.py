"""The web app served on loopback in the test's event loop, and a small JSON client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import jsonschema_rs
from aiohttp import web

from api.app import create_app
from api.openapi import document
from core.probe import Probe
from core.runtime import Runtime
from core.settings import Settings
from core.targets import Resolver
from core.targets import resolve as resolve_host
from tests.support.http import serving as http_serving

ADMIN_KEY = "admin-key-for-tests"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict

    @property
    def error(self) -> dict:
        return self.body["error"]


@dataclass
class ApiClient:
    http: aiohttp.ClientSession
    base: str

    async def call(
        self,
        method: str,
        path: str,
        key: str | None = ADMIN_KEY,
        json_body: Any = None,
        *,
        raw: bytes | None = None,
        params: dict | None = None,
        headers: dict | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if key is not None:
            sent["X-API-KEY"] = key
        data = raw
        if json_body is not None:
            data = json.dumps(json_body).encode()
        if data is not None:
            sent.setdefault("Content-Type", "application/json")
        async with self.http.request(
            method, self.base + path, data=data, params=params, headers=sent
        ) as resp:
            text = await resp.text()
            try:
                body = json.loads(text) if text else None
            except ValueError:
                body = text
            return Reply(resp.status, body, dict(resp.headers))

    async def get(self, path: str, key: str | None = ADMIN_KEY, **params) -> Reply:
        return await self.call("GET", path, key, params=params or None)

    async def raw(
        self, method: str, target: str, headers: dict[str, bytes] | None = None, body: bytes = b""
    ) -> Reply:
        """A request written byte for byte: `target` goes on the request line as given
        (no client-side quoting) and header values may be any bytes, as a hostile
        client sends them."""
        return await raw_request(self.base, method, target, headers or {}, body)


async def raw_request(
    base: str, method: str, target: str, headers: dict[str, bytes], body: bytes = b""
) -> Reply:
    """One HTTP/1.1 request on its own connection, read until the server closes it."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        head = [f"{method} {target} HTTP/1.1".encode(), f"Host: {host}".encode(),
                b"Connection: close", f"Content-Length: {len(body)}".encode()]  # fmt: skip
        if body:
            head.append(b"Content-Type: application/json")
        head += [name.encode() + b": " + value for name, value in headers.items()]
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        await writer.drain()
        answer = await reader.read()
    finally:
        writer.close()
    status_and_headers, _, payload = answer.partition(b"\r\n\r\n")
    lines = status_and_headers.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    response_headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    text = payload.decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return Reply(status, parsed, response_headers)


def conforms(schema_name: str, body: Any) -> None:
    """`body` matches the OpenAPI document's schema `schema_name`."""
    doc = document(60)
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": doc["components"]}
    errors = [str(e) for e in jsonschema_rs.Draft202012Validator(schema).iter_errors(body)]
    assert not errors, errors[:3]


def app_of(
    settings: Settings, probe: Probe | None = None, resolve: Resolver = resolve_host
) -> web.Application:
    """The app run.py serves, with `probe` (an unstarted one: the app checks nothing)
    and `resolve` for the hosts of new monitors."""
    return create_app(Runtime(settings=settings, probe=probe or Probe(), resolve=resolve))


@asynccontextmanager
async def serving(
    settings: Settings, probe: Probe | None = None, resolve: Resolver = resolve_host
) -> AsyncIterator[ApiClient]:
    """The app run.py serves (see app_of), on loopback, with a client for it."""
    async with (
        http_serving(app_of(settings, probe, resolve)) as base,
        aiohttp.ClientSession() as http,
    ):
        yield ApiClient(http, base)
